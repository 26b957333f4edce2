import { lti } from '../ltijs';
import { SigningKeyStateModel } from './signing-key.model';

/**
 * Makes ltijs sign with the platform's active key (key-rotation.service.ts). ltijs signs in two
 * places, the client-credentials assertion (Auth.getAccessToken) and the deep-linking response
 * (DeepLinking.createDeepLinkingMessage), both as
 *   jwt.sign(body, await platform.platformPrivateKey(), { keyid: await platform.platformKid() })
 * so the private key is read first and the kid right after, on the same Platform object. The
 * private key lookup here reads the rotation state (one read by _id; no cache, so every instance
 * signs with the new key from the moment it is activated in the database) and remembers on that
 * object which kid it handed out; platformKid then names that kid. Everywhere else platformKid and
 * platformId still give ltijs's platform id (stored in sessions and platform statuses).
 */

type LtijsPlatform = {
  platformId(): Promise<string>;
  platformKid(): Promise<string>;
  platformPrivateKey(): Promise<string>;
  platformPublicKey(): Promise<string>;
};

const signingKid = new WeakMap<object, string>();
let installedKey: string | undefined;

/** The key ltijs encrypts stored private keys with (LTI_ENCRYPTION_KEY), once setupLti ran. */
export function toolEncryptionKey(): string {
  if (!installedKey) throw new Error('ltijs is not set up (setupLti) in this process');
  return installedKey;
}

/** The kid the platform's signatures should carry now: its active key, or ltijs's first key. */
export async function activeKidOf(platformId: string): Promise<string> {
  const state = await SigningKeyStateModel.findById(platformId, { activeKid: 1 }).lean();
  return state?.activeKid ?? platformId;
}

async function storedKey(encryptionKey: string, collection: 'privatekey' | 'publickey', kid: string): Promise<string> {
  const found = (await lti.Database.Get(encryptionKey, collection, { kid })) as Array<{ key: string }> | false;
  if (!found) throw new Error(`the tool's ${collection} ${kid} is missing`);
  return found[0].key;
}

export function installSigningKeyLookup(encryptionKey: string): void {
  if (installedKey) return;
  installedKey = encryptionKey;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Platform = require('ltijs/dist/Utils/Platform') as { prototype: LtijsPlatform };
  const ownKid = Platform.prototype.platformKid;
  Platform.prototype.platformPrivateKey = async function (this: LtijsPlatform) {
    const kid = await activeKidOf(await this.platformId());
    const key = await storedKey(encryptionKey, 'privatekey', kid);
    signingKid.set(this, kid);
    return key;
  };
  Platform.prototype.platformKid = async function (this: LtijsPlatform) {
    return signingKid.get(this) ?? ownKid.call(this);
  };
  // platformJSON reads it; after a rotation the first key may be gone.
  Platform.prototype.platformPublicKey = async function (this: LtijsPlatform) {
    return storedKey(encryptionKey, 'publickey', await activeKidOf(await this.platformId()));
  };
}
