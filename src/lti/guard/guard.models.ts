import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';

/**
 * Our own record of each OIDC login, so the launch can check that the id_token's
 * nonce is the one we issued for that state and consume it once. Expiry is enforced
 * in code: FerretDB (dev/test) does not implement TTL indexes.
 */
const loginStateSchema = new Schema(
  {
    state: { type: String, required: true },
    nonce: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    targetLinkUri: { type: String, required: true },
    loginHint: { type: String, required: true },
    deploymentId: { type: String, required: false },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'lti_login_states', versionKey: false },
);
loginStateSchema.index({ state: 1 }, { unique: true, name: 'state_unique' });

/**
 * Nonces already accepted, kept for at least the id_token lifetime: ltijs keeps its own
 * for 10 s only, which lets a replay through afterwards.
 */
const usedNonceSchema = new Schema(
  {
    iss: { type: String, required: true },
    nonce: { type: String, required: true },
    usedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'lti_used_nonces', versionKey: false },
);
usedNonceSchema.index({ iss: 1, nonce: 1 }, { unique: true, name: 'iss_nonce_unique' });

export type LoginState = InferSchemaType<typeof loginStateSchema>;
export type UsedNonce = InferSchemaType<typeof usedNonceSchema>;

export const LoginStateModel: Model<LoginState> =
  (mongoose.models.LtiLoginState as Model<LoginState> | undefined) ?? mongoose.model<LoginState>('LtiLoginState', loginStateSchema);
export const UsedNonceModel: Model<UsedNonce> =
  (mongoose.models.LtiUsedNonce as Model<UsedNonce> | undefined) ?? mongoose.model<UsedNonce>('LtiUsedNonce', usedNonceSchema);

let indexesReady: Promise<unknown> | undefined;

/** The unique indexes carry the single-use guarantees, so they must exist before the first write. */
export function ensureGuardIndexes(): Promise<unknown> {
  indexesReady ??= Promise.all([LoginStateModel.init(), UsedNonceModel.init()]).catch((err: unknown) => {
    indexesReady = undefined;
    throw err;
  });
  return indexesReady;
}

const SWEEP_INTERVAL_MS = 60_000;
let lastSweep = 0;

/** Deletes expired records at most once a minute (no TTL indexes to do it for us). */
export async function sweepExpired(now = new Date()): Promise<void> {
  if (now.getTime() - lastSweep < SWEEP_INTERVAL_MS) return;
  lastSweep = now.getTime();
  await Promise.all([LoginStateModel.deleteMany({ expiresAt: { $lt: now } }), UsedNonceModel.deleteMany({ expiresAt: { $lt: now } })]);
}
