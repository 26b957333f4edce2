/**
 * Version claims: the guard that makes a record's conditional update single-winner on FerretDB
 * (practicum entries, mentorship check-ins and goals: any record keyed by an ObjectId).
 *
 * MongoDB applies `findOneAndUpdate({ _id, version })` atomically; FerretDB applies it as
 * read-then-write, so two reviewers acting on the same version could both "win". Before changing
 * a record, a writer inserts a ticket with _id `<entryId>:<version>` (a unique-_id insert is atomic
 * on both servers); only the writer that inserted it goes on, and it removes the ticket once its
 * update is done. A ticket left by a crashed writer is taken over after CLAIM_LEASE_MS.
 */
import mongoose, { Schema } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

const claimSchema = new Schema(
  { _id: { type: String, required: true }, createdAt: { type: Date, required: true } },
  // The collection keeps the name it had when only practicum entries were claimed.
  { collection: 'practicum_entry_claims', versionKey: false },
);
const PracticumClaimModel = mongoose.model('PracticumEntryClaim', claimSchema);

export const CLAIM_LEASE_MS = 30_000;

/** True when this writer holds the claim on (entry, version); false when another writer does. */
export async function claimVersion(entryId: unknown, version: number, now = new Date()): Promise<boolean> {
  const _id = `${String(entryId)}:${version}`;
  try {
    await PracticumClaimModel.create({ _id, createdAt: now });
    return true;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  const expired = await PracticumClaimModel.deleteOne({ _id, createdAt: { $lt: new Date(now.getTime() - CLAIM_LEASE_MS) } });
  if (expired.deletedCount !== 1) return false;
  return claimVersion(entryId, version, now);
}

export async function releaseVersion(entryId: unknown, version: number): Promise<void> {
  await PracticumClaimModel.deleteOne({ _id: `${String(entryId)}:${version}` });
}

/** Runs the conditional update only while holding the claim; null when another writer holds it. */
export async function underClaim<T>(entryId: unknown, version: number, update: () => Promise<T | null>): Promise<T | null> {
  if (!(await claimVersion(entryId, version, new Date()))) return null;
  try {
    return await update();
  } finally {
    await releaseVersion(entryId, version);
  }
}
