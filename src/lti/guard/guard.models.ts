import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';

/*
 * Every record read or written on the login/launch path is keyed by its _id, and found by
 * { _id } alone: the embedded FerretDB (SQLite) pushes down only a filter that is exactly
 * { _id: <string> } and scans and decodes the whole collection for any other filter, so a
 * lookup by another field grows with the collection (bench/README.md, "Database operations").
 * On MongoDB _id is the primary index as well. The readable fields and their unique indexes
 * stay, so records written before this keying still collide with new ones.
 */

/**
 * Our own record of each OIDC login, so the launch can check that the id_token's
 * nonce is the one we issued for that state. Single use is the used-nonce record below;
 * a login record simply expires. Expiry is enforced in code: FerretDB (dev/test) does not
 * implement TTL indexes.
 */
const loginStateSchema = new Schema(
  {
    /** The state ltijs chose (also in `state`). */
    _id: { type: String, required: true },
    state: { type: String, required: true },
    nonce: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    targetLinkUri: { type: String, required: true },
    loginHint: { type: String, required: true },
    deploymentId: { type: String, required: false },
    /** Set when the login went through LTI platform storage (lti_storage_target): the launch may then come without our state cookie. */
    storageTarget: { type: String, required: false },
    /** Origin of the platform's OIDC auth endpoint: the postMessage target origin for platform storage. */
    storageOrigin: { type: String, required: false },
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
    /** usedNonceId(iss, nonce): inserting it is the atomic single-use step of a launch. */
    _id: { type: String, required: true },
    iss: { type: String, required: true },
    nonce: { type: String, required: true },
    usedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'lti_used_nonces', versionKey: false },
);
usedNonceSchema.index({ iss: 1, nonce: 1 }, { unique: true, name: 'iss_nonce_unique' });

/**
 * A launch validated by the guard on the platform-storage path (no state cookie), parked
 * until the browser confirms it read the same state back from the platform. Single use
 * (deleted on the first confirmation attempt, right or wrong) and short-lived.
 */
const parkedLaunchSchema = new Schema(
  {
    /** The launch id (also in `launchId`). */
    _id: { type: String, required: true },
    launchId: { type: String, required: true },
    state: { type: String, required: true },
    iss: { type: String, required: true },
    idToken: { type: String, required: true },
    /** Path under the LTI mount (and query) the platform posted the id_token to. */
    path: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'lti_parked_launches', versionKey: false },
);
parkedLaunchSchema.index({ launchId: 1 }, { unique: true, name: 'launch_id_unique' });

/** The _id of a used nonce: issuers are URLs (no spaces), so "iss nonce" cannot collide across issuers. */
export function usedNonceId(iss: string, nonce: string): string {
  return `${iss} ${nonce}`;
}

export type LoginState = InferSchemaType<typeof loginStateSchema>;
export type ParkedLaunch = InferSchemaType<typeof parkedLaunchSchema>;
export type UsedNonce = InferSchemaType<typeof usedNonceSchema>;

export const LoginStateModel: Model<LoginState> =
  (mongoose.models.LtiLoginState as Model<LoginState> | undefined) ?? mongoose.model<LoginState>('LtiLoginState', loginStateSchema);
export const ParkedLaunchModel: Model<ParkedLaunch> =
  (mongoose.models.LtiParkedLaunch as Model<ParkedLaunch> | undefined) ?? mongoose.model<ParkedLaunch>('LtiParkedLaunch', parkedLaunchSchema);
export const UsedNonceModel: Model<UsedNonce> =
  (mongoose.models.LtiUsedNonce as Model<UsedNonce> | undefined) ?? mongoose.model<UsedNonce>('LtiUsedNonce', usedNonceSchema);

let indexesReady: Promise<unknown> | undefined;

/** The unique indexes carry the single-use guarantees, so they must exist before the first write. */
export function ensureGuardIndexes(): Promise<unknown> {
  indexesReady ??= Promise.all([LoginStateModel.init(), UsedNonceModel.init(), ParkedLaunchModel.init()]).catch((err: unknown) => {
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
  await Promise.all([
    LoginStateModel.deleteMany({ expiresAt: { $lt: now } }),
    UsedNonceModel.deleteMany({ expiresAt: { $lt: now } }),
    ParkedLaunchModel.deleteMany({ expiresAt: { $lt: now } }),
  ]);
}
