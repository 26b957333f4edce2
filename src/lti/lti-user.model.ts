import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { isDuplicateKeyError } from '../platform/errors';

/**
 * A person as the platform last described them; (iss, sub) identifies them, and so does
 * the _id, ltiUserId(iss, sub): written on every launch, it is found by { _id } alone, the
 * only filter the embedded FerretDB answers without scanning the collection.
 */
const ltiUserSchema = new Schema(
  {
    _id: { type: String, required: true },
    iss: { type: String, required: true },
    sub: { type: String, required: true, maxlength: 255 },
    name: { type: String, default: '' },
    email: { type: String, default: '' },
    roles: { type: [String], default: [] },
    primaryRole: { type: String, required: true },
    isTestUser: { type: Boolean, default: false },
    lastLaunchAt: { type: Date, required: true },
  },
  { collection: 'lti_users', timestamps: true },
);
ltiUserSchema.index({ iss: 1, sub: 1 }, { unique: true });

export type LtiUser = InferSchemaType<typeof ltiUserSchema>;
export const LtiUserModel = mongoose.model('LtiUser', ltiUserSchema);

/** Issuers are URLs (no spaces): "iss sub" cannot collide across issuers. */
export function ltiUserId(iss: string, sub: string): string {
  return `${iss} ${sub}`;
}

/**
 * Upsert guarded by the unique indexes: FerretDB upserts are query-then-insert, so a race
 * retries once. A person recorded before users were keyed by ltiUserId (another _id, same
 * iss and sub) collides on the (iss, sub) index and is updated where they are.
 */
export async function recordLaunchUser(user: Omit<LtiUser, '_id' | 'createdAt' | 'updatedAt'>): Promise<void> {
  const write = () => LtiUserModel.updateOne({ _id: ltiUserId(user.iss, user.sub) }, { $set: user }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    if ((await LtiUserModel.updateOne({ iss: user.iss, sub: user.sub }, { $set: user })).matchedCount === 0) await write();
  }
}

/** The person (iss, sub) as last recorded, or null. */
export async function findLtiUser(iss: string, sub: string): Promise<LtiUser | null> {
  return (await LtiUserModel.findOne({ _id: ltiUserId(iss, sub) }).lean()) ?? (await LtiUserModel.findOne({ iss, sub }).lean());
}
