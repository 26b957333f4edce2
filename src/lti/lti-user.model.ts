import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { isDuplicateKeyError } from '../platform/errors';

/** A person as the platform last described them; (iss, sub) identifies them. */
const ltiUserSchema = new Schema(
  {
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

/** Upsert guarded by the unique index: FerretDB upserts are query-then-insert, so a race retries once. */
export async function recordLaunchUser(user: Omit<LtiUser, 'createdAt' | 'updatedAt'>): Promise<void> {
  const write = () => LtiUserModel.updateOne({ iss: user.iss, sub: user.sub }, { $set: user }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}
