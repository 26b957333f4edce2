/**
 * Writes to the per-candidate progress documents, and their repair.
 *
 * Crash window: an entry change is one conditional update that also sets `progressPending: true`;
 * the audit insert, the progress $inc and clearing the flag follow as separate writes (there are no
 * transactions). A crash in between leaves the entry correct and the progress document stale, with
 * the flag still set. recomputeProgress rebuilds the document from the entries (absolute $set, so
 * it is idempotent), re-writes the latest audit record from the entry's `lastTransition` (unique
 * (entryId, version) makes that idempotent) and clears the flags. repairPendingProgress runs it for
 * every candidate with a flag older than a grace period — run it from a timer or an admin action;
 * running it while a writer is mid-flight could double-count that writer's $inc, hence the grace.
 */
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../platform/errors';
import { PracticumAuditModel } from './practicum-audit.model';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { mergeIncrements, PracticumProgressModel, progressIncrements } from './practicum-progress.model';
import type { ProgressEntry } from './progress.service';

export interface ProgressKey {
  activityId: Types.ObjectId;
  iss: string;
  contextId: string | null;
  candidateSub: string;
  candidateName: string;
}

/** Applies an increment to the candidate's progress document, creating it on first use. */
export async function applyProgress(key: ProgressKey, inc: Record<string, number>, at: Date): Promise<void> {
  const filter = { activityId: key.activityId, candidateSub: key.candidateSub };
  const update = {
    $setOnInsert: { iss: key.iss, contextId: key.contextId },
    $set: { candidateName: key.candidateName },
    $max: { lastEntryAt: at },
    ...(Object.keys(inc).length ? { $inc: inc } : {}),
  };
  try {
    await PracticumProgressModel.updateOne(filter, update, { upsert: true });
  } catch (err) {
    // FerretDB upserts are query-then-insert: a concurrent first write loses the insert; retry as update.
    if (!isDuplicateKeyError(err)) throw err;
    await PracticumProgressModel.updateOne(filter, update);
  }
}

/** The increment moving an entry's minutes from its old shape/status to its new one. */
export function transitionIncrements(before: Parameters<typeof progressIncrements>[0] | null, after: Parameters<typeof progressIncrements>[0]): Record<string, number> {
  return mergeIncrements(before ? progressIncrements(before, -1) : {}, progressIncrements(after, 1));
}

export async function clearPending(entryId: Types.ObjectId, version: number): Promise<void> {
  await PracticumEntryModel.updateOne({ _id: entryId, version }, { $set: { progressPending: false } });
}

export async function writeAudit(record: { entryId: Types.ObjectId; activityId: Types.ObjectId; candidateSub: string; version: number; from: string; to: string; actor: Record<string, unknown>; comment: string; at: Date }): Promise<void> {
  try {
    await PracticumAuditModel.create(record);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** Rebuilds one candidate's progress document from their entries; see the file comment. */
export async function recomputeProgress(activityId: Types.ObjectId | string, candidateSub: string): Promise<void> {
  const id = new Types.ObjectId(String(activityId));
  const entries = await PracticumEntryModel.find({ activityId: id, candidateSub }).lean();
  if (entries.length === 0) return;
  let inc: Record<string, number> = {};
  for (const e of entries) inc = mergeIncrements(inc, progressIncrements(toIncShape(e), 1));
  const minutes: Record<string, unknown> = {};
  const counts: Record<string, number> = {};
  for (const [path, value] of Object.entries(inc)) {
    const parts = path.split('.');
    if (parts[0] === 'entries') counts[parts[1]] = value;
    else setPath(minutes, parts.slice(1), value);
  }
  const first = entries[0];
  const lastEntryAt = entries.reduce((max, e) => (e.updatedAt > max ? e.updatedAt : max), first.updatedAt);
  await applyProgress({ activityId: id, iss: first.iss, contextId: first.contextId ?? null, candidateSub, candidateName: first.candidateName ?? '' }, {}, lastEntryAt);
  await PracticumProgressModel.updateOne({ activityId: id, candidateSub }, { $set: { minutes, entries: counts, recomputedAt: new Date() } });
  for (const e of entries) {
    const t = e.lastTransition as { from: string; to: string; actor: Record<string, unknown>; comment: string; at: Date } | null;
    if (t) await writeAudit({ entryId: e._id, activityId: id, candidateSub, version: e.version, ...t });
    if (e.progressPending) await clearPending(e._id, e.version);
  }
}

/** Repairs every progress document left stale by a crash (flag older than graceMs). */
export async function repairPendingProgress(graceMs = 60_000): Promise<number> {
  const stale = await PracticumEntryModel.find({ progressPending: true, updatedAt: { $lt: new Date(Date.now() - graceMs) } }, { activityId: 1, candidateSub: 1 }).lean();
  const keys = new Set(stale.map((e) => `${String(e.activityId)} ${e.candidateSub}`));
  for (const key of keys) {
    const [activityId, candidateSub] = key.split(' ');
    await recomputeProgress(activityId, candidateSub);
  }
  return keys.size;
}

function setPath(target: Record<string, unknown>, parts: string[], value: number): void {
  let node = target;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}

export function toIncShape(e: Pick<PracticumEntry, 'status' | 'minutes' | 'category' | 'site'>) {
  return { status: e.status, minutes: e.minutes ?? 0, category: e.category ?? null, site: { gradeBand: e.site?.gradeBand ?? null, populations: e.site?.populations ?? [] } };
}

export function toProgressEntry(e: Pick<PracticumEntry, 'status' | 'minutes' | 'category' | 'site' | 'date'> & { _id: Types.ObjectId }): ProgressEntry {
  return {
    id: String(e._id),
    status: e.status,
    date: e.date ?? null,
    minutes: e.minutes ?? 0,
    category: e.category ?? null,
    site: { name: e.site?.name ?? '', district: e.site?.district ?? '', gradeBand: e.site?.gradeBand ?? null, populations: e.site?.populations ?? [] },
  };
}
