import { AppError } from '../../platform/errors';
import { lti, type LtiPlatform } from '../ltijs';
import { generateToolKeyPair, storeToolKeyPair } from './key-generation';
import { SigningKeyStateModel, type SigningKeyState } from './signing-key.model';
import { toolEncryptionKey } from './signing-keys';

/**
 * Rotation of the tool's signing keys (one per platform, as ltijs keeps them), in three phases run
 * by an administrator (npm run keys:rotate -- --phase …), each on any one instance:
 *   publish   a new key per platform goes into the JWKS; signatures still use the old one.
 *   activate  after PUBLISH_WAIT_MS: signatures use the new key (every instance at once: the state
 *             is read from the database on each signature); the old key stays in the JWKS.
 *   retire    after RETIRE_WAIT_MS: the old key leaves the JWKS and is deleted.
 * The waits: platforms cache the tool's JWKS (Moodle keeps it and fetches again on an unknown kid;
 * the Sandbox caches 10 minutes and does the same; for Canvas we found no documented lifetime), so a
 * new key is published an hour before it signs; what the old key signed lives 60 s (ltijs's client
 * assertions and deep-linking responses), so it is kept 10 minutes after activation.
 */

export const PUBLISH_WAIT_MS = 60 * 60 * 1000;
export const RETIRE_WAIT_MS = 10 * 60 * 1000;

export type RotationPhase = 'publish' | 'activate' | 'retire';

export interface PlatformKeys {
  issuer: string;
  clientId: string;
  platformId: string;
  activeKid: string;
  nextKid: string | null;
  publishedAt: Date | null;
  previousKid: string | null;
  activatedAt: Date | null;
}

export interface RotationOptions {
  now?: Date;
  /** Skip the waits (development, or a key known to be compromised: platforms may refuse signatures until they fetch the JWKS again). */
  force?: boolean;
  /** Only this platform (default: every registered platform). */
  only?: { issuer: string; clientId: string };
}

export interface RotationResult {
  platform: PlatformKeys;
  outcome: 'done' | 'nothing to do' | 'too early';
  detail: string;
}

type LtijsDatabase = Parameters<typeof storeToolKeyPair>[0] & { Delete(collection: string, query: object): Promise<true> };
const database = () => lti.Database as unknown as LtijsDatabase;

async function describe(platform: LtiPlatform): Promise<PlatformKeys> {
  const platformId = await platform.platformId();
  const state = await SigningKeyStateModel.findById(platformId).lean();
  return {
    issuer: await platform.platformUrl(),
    clientId: await platform.platformClientId(),
    platformId,
    activeKid: state?.activeKid ?? platformId,
    nextKid: state?.nextKid ?? null,
    publishedAt: state?.publishedAt ?? null,
    previousKid: state?.previousKid ?? null,
    activatedAt: state?.activatedAt ?? null,
  };
}

async function platformsFor(only: RotationOptions['only']): Promise<LtiPlatform[]> {
  if (!only) return lti.getAllPlatforms();
  const platform = await lti.getPlatform(only.issuer, only.clientId);
  if (!platform) throw new AppError(404, 'platform_not_found', `No platform is registered with issuer ${only.issuer} and client id ${only.clientId}.`);
  return [platform];
}

/** Writes the whole state if nobody changed it since it was read (version compare-and-set). */
async function saveState(keys: PlatformKeys, change: Partial<PlatformKeys>, now: Date): Promise<void> {
  const current = await SigningKeyStateModel.findById(keys.platformId).lean();
  const expected = current?.version ?? 0;
  const state: SigningKeyState = {
    _id: keys.platformId,
    activeKid: change.activeKid ?? keys.activeKid,
    nextKid: change.nextKid !== undefined ? change.nextKid : keys.nextKid,
    publishedAt: change.publishedAt !== undefined ? change.publishedAt : keys.publishedAt,
    previousKid: change.previousKid !== undefined ? change.previousKid : keys.previousKid,
    activatedAt: change.activatedAt !== undefined ? change.activatedAt : keys.activatedAt,
    version: expected + 1,
    updatedAt: now,
  };
  const isUnchanged = current
    ? current.activeKid === keys.activeKid && current.nextKid === keys.nextKid && current.previousKid === keys.previousKid
    : keys.activeKid === keys.platformId && !keys.nextKid && !keys.previousKid;
  if (!isUnchanged) throw new AppError(409, 'key_rotation_conflict', `The keys of ${keys.issuer} (${keys.clientId}) changed while rotating; run the command again.`);
  if (current) {
    const written = await SigningKeyStateModel.replaceOne({ _id: keys.platformId, version: expected }, state);
    if (written.matchedCount !== 1) throw new AppError(409, 'key_rotation_conflict', `The keys of ${keys.issuer} (${keys.clientId}) changed while rotating; run the command again.`);
  } else {
    // A racing first rotation fails here on the unique _id.
    await SigningKeyStateModel.create(state);
  }
}

const minutes = (ms: number) => Math.ceil(ms / 60_000);

async function publish(keys: PlatformKeys, now: Date): Promise<RotationResult> {
  if (keys.nextKid) return { platform: keys, outcome: 'nothing to do', detail: `key ${keys.nextKid} is already published` };
  if (keys.previousKid) return { platform: keys, outcome: 'too early', detail: `retire key ${keys.previousKid} first (--phase retire)` };
  const pair = await generateToolKeyPair();
  await storeToolKeyPair(database(), toolEncryptionKey(), { platformUrl: keys.issuer, clientId: keys.clientId }, pair);
  try {
    await saveState(keys, { nextKid: pair.kid, publishedAt: now }, now);
  } catch (err) {
    await removeKey(pair.kid);
    throw err;
  }
  return { platform: { ...keys, nextKid: pair.kid, publishedAt: now }, outcome: 'done', detail: `published key ${pair.kid}; it signs after --phase activate, from ${new Date(now.getTime() + PUBLISH_WAIT_MS).toISOString()}` };
}

async function activate(keys: PlatformKeys, now: Date, force: boolean): Promise<RotationResult> {
  if (!keys.nextKid || !keys.publishedAt) return { platform: keys, outcome: 'nothing to do', detail: 'no key is published (--phase publish first)' };
  const waited = now.getTime() - keys.publishedAt.getTime();
  if (waited < PUBLISH_WAIT_MS && !force) {
    return { platform: keys, outcome: 'too early', detail: `key ${keys.nextKid} was published ${minutes(waited)} min ago; platforms get ${minutes(PUBLISH_WAIT_MS)} min to fetch it (activate from ${new Date(keys.publishedAt.getTime() + PUBLISH_WAIT_MS).toISOString()}, or --force)` };
  }
  await saveState(keys, { activeKid: keys.nextKid, previousKid: keys.activeKid, nextKid: null, publishedAt: null, activatedAt: now }, now);
  return {
    platform: { ...keys, activeKid: keys.nextKid, previousKid: keys.activeKid, nextKid: null, publishedAt: null, activatedAt: now },
    outcome: 'done',
    detail: `signing with key ${keys.nextKid}; key ${keys.activeKid} stays in the JWKS until --phase retire, from ${new Date(now.getTime() + RETIRE_WAIT_MS).toISOString()}`,
  };
}

async function retire(keys: PlatformKeys, now: Date, force: boolean): Promise<RotationResult> {
  if (!keys.previousKid || !keys.activatedAt) return { platform: keys, outcome: 'nothing to do', detail: 'no old key to retire' };
  const waited = now.getTime() - keys.activatedAt.getTime();
  if (waited < RETIRE_WAIT_MS && !force) {
    return { platform: keys, outcome: 'too early', detail: `key ${keys.activeKid} signs since ${minutes(waited)} min; what key ${keys.previousKid} signed may still be in use (retire from ${new Date(keys.activatedAt.getTime() + RETIRE_WAIT_MS).toISOString()}, or --force)` };
  }
  // State first: once it no longer names the old key, nothing signs with or lists it as ours.
  await saveState(keys, { previousKid: null, activatedAt: null }, now);
  await removeKey(keys.previousKid);
  return { platform: { ...keys, previousKid: null, activatedAt: null }, outcome: 'done', detail: `key ${keys.previousKid} removed from the JWKS` };
}

async function removeKey(kid: string): Promise<void> {
  await database().Delete('publickey', { kid });
  await database().Delete('privatekey', { kid });
}

/** Runs one phase for every platform (or one); platforms not ready are reported, not changed. */
export async function rotateKeys(phase: RotationPhase, options: RotationOptions = {}): Promise<RotationResult[]> {
  const now = options.now ?? new Date();
  const results: RotationResult[] = [];
  for (const platform of await platformsFor(options.only)) {
    const keys = await describe(platform);
    if (phase === 'publish') results.push(await publish(keys, now));
    else if (phase === 'activate') results.push(await activate(keys, now, options.force ?? false));
    else results.push(await retire(keys, now, options.force ?? false));
  }
  return results;
}

export async function keyStatus(options: Pick<RotationOptions, 'only'> = {}): Promise<PlatformKeys[]> {
  return Promise.all((await platformsFor(options.only)).map(describe));
}
