import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { tooManyRequests } from '../../platform/errors';

/**
 * The tool's RSA signing keys (one per platform, as ltijs keeps them), generated off the event loop
 * and one at a time. ltijs 5.9.9 generates a 4096-bit pair with generateKeyPairSync on every
 * platform registration, which blocks the process for a second or more; installKeyGeneration()
 * replaces that step with this one, so registrations and key rotations share one bounded gate.
 */

export const KEY_BITS = 4096;
/** Generations waiting behind the running one; beyond that, callers are refused (429) instead of queued. */
const MAX_WAITING = 4;

const generate = promisify(generateKeyPair);

export interface GeneratedKeyPair {
  kid: string;
  publicKey: string;
  privateKey: string;
}

let tail: Promise<unknown> = Promise.resolve();
let waiting = 0;
let running = 0;
let generated = 0;

/** For tests and the rotation command: how many pairs this process generated, and is generating. */
export function keyGenerationStats() {
  return { generated, running, waiting };
}

/** A fresh pair with a new kid, in the PEM encodings ltijs stores (spki public, pkcs1 private). */
export async function generateToolKeyPair(): Promise<GeneratedKeyPair> {
  if (waiting >= MAX_WAITING) {
    throw tooManyRequests('key_generation_busy', 'Fieldbook is busy generating signing keys. Please try again in a minute.', { retryAfterSeconds: 30 });
  }
  waiting += 1;
  const turn = tail.then(async () => {
    waiting -= 1;
    running += 1;
    try {
      const { publicKey, privateKey } = await generate('rsa', {
        modulusLength: KEY_BITS,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      });
      generated += 1;
      return { kid: randomBytes(16).toString('hex'), publicKey, privateKey };
    } finally {
      running -= 1;
    }
  });
  tail = turn.catch(() => undefined);
  return turn;
}

interface LtijsDatabase {
  Insert(encryptionKey: string, collection: string, item: object, index: object): Promise<true>;
}

/** Stores a pair in ltijs's publickey/privatekey collections (encrypted by ltijs), keyed by its kid. */
export async function storeToolKeyPair(database: LtijsDatabase, encryptionKey: string, owner: { platformUrl: string; clientId: string }, pair: GeneratedKeyPair): Promise<void> {
  const index = { kid: pair.kid, platformUrl: owner.platformUrl, clientId: owner.clientId };
  await database.Insert(encryptionKey, 'publickey', { key: pair.publicKey, kid: pair.kid }, index);
  await database.Insert(encryptionKey, 'privatekey', { key: pair.privateKey, kid: pair.kid }, index);
}

let installed = false;

/**
 * Replaces ltijs's Auth.generatePlatformKeyPair (called by registerPlatform for a new platform)
 * with the gated, asynchronous generation above. Same contract: stores both keys, returns the kid.
 * Stored by kid (ltijs replaced "the" key of the platform URL and client id, which would overwrite
 * a key published for rotation).
 */
export function installKeyGeneration(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Auth = require('ltijs/dist/Utils/Auth') as { generatePlatformKeyPair: (...args: unknown[]) => Promise<string> };
  Auth.generatePlatformKeyPair = async (encryptionKey: unknown, database: unknown, platformUrl: unknown, clientId: unknown) => {
    const pair = await generateToolKeyPair();
    await storeToolKeyPair(database as LtijsDatabase, encryptionKey as string, { platformUrl: platformUrl as string, clientId: clientId as string }, pair);
    return pair.kid;
  };
}
