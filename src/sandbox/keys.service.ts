import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { findOrCreateByKey } from './model.util';
import { SandboxKey } from './sandbox.models';

const PLATFORM_KEY = 'platform-rs256';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

export interface PlatformSigningKey {
  kid: string;
  privateKey: KeyLike | Uint8Array;
  publicJwk: JWK;
}

let cached: Promise<PlatformSigningKey> | null = null;

/** Generates the platform RS256 pair once; concurrent callers converge on the stored one. */
export async function ensurePlatformKey(): Promise<void> {
  const existing = await SandboxKey.findOne({ key: PLATFORM_KEY });
  if (existing) return;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  await findOrCreateByKey(SandboxKey, {
    key: PLATFORM_KEY,
    kid,
    privateJwk: JSON.stringify(privateJwk),
    publicJwk: JSON.stringify(publicJwk),
    createdAt: new Date(),
  });
}

async function loadKey(): Promise<PlatformSigningKey> {
  await ensurePlatformKey();
  const doc = await SandboxKey.findOne({ key: PLATFORM_KEY });
  if (!doc) throw new Error('Sandbox platform key missing after creation');
  const privateJwk = JSON.parse(doc.privateJwk) as JWK;
  return { kid: doc.kid, privateKey: await importJWK(privateJwk, 'RS256'), publicJwk: publicOnly(JSON.parse(doc.publicJwk) as JWK) };
}

/** The signing key, read from the database once per process. */
export function platformSigningKey(): Promise<PlatformSigningKey> {
  if (!cached) {
    cached = loadKey().catch((err: unknown) => {
      cached = null;
      throw err;
    });
  }
  return cached;
}

/** Strips private members defensively, whatever was stored. */
export function publicOnly(jwk: JWK): JWK {
  const copy: JWK = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy;
}

export async function platformJwks(): Promise<{ keys: JWK[] }> {
  const key = await platformSigningKey();
  return { keys: [key.publicJwk] };
}
