import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyObject } from 'node:crypto';
import type { LtiPlatform, LtiProvider } from '../ltijs';

/**
 * What the guard established for one login or launch request before handing it to ltijs:
 * the registration (issuer + client id) it accepted as registered and active, and on a
 * launch the platform key it verified the id_token's signature with.
 */
export interface VerifiedPlatform {
  iss: string;
  clientId: string;
  platform: LtiPlatform;
  key?: KeyObject;
  /** A login without client_id, accepted because the issuer has exactly this one registration. */
  onlyRegistration?: boolean;
}

const verified = new AsyncLocalStorage<VerifiedPlatform>();

/** Runs the rest of this request (ltijs's handler) with what the guard verified. */
export function continueVerified(context: VerifiedPlatform, next: () => void): void {
  verified.run(context, next);
}

/** The registration as the guard accepted it: active, and verified with the guard's key. */
function verifiedView({ platform, key }: VerifiedPlatform): LtiPlatform {
  return new Proxy(platform, {
    get(target, prop) {
      // Reads only; a write (an argument given) still goes to ltijs's own record.
      if (prop === 'platformActive') return (active?: boolean) => (active === undefined ? Promise.resolve(true) : target.platformActive(active));
      if (prop === 'platformAuthConfig' && key) {
        return (...args: unknown[]) =>
          args.every((a) => a === undefined)
            ? Promise.resolve({ method: 'RSA_KEY', key })
            : (target.platformAuthConfig as (...a: unknown[]) => Promise<unknown>)(...args);
      }
      const value: unknown = Reflect.get(target, prop, target);
      // ltijs's Platform keeps its fields private to the instance: methods must run on it.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let installed = false;

/**
 * On every login and launch, ltijs looks the platform up again (its registration and its
 * status: two database reads) and, for a platform with a key set URL, downloads the key set
 * again before verifying the signature. The guard in front of it has just done all of that
 * (from the registry cache and the key cache, with the same refusals), so for the rest of
 * that one request ltijs's lookup of the same issuer and client id answers with the
 * registration the guard accepted and, on a launch, the key the guard verified with.
 * ltijs still verifies the signature and makes every one of its own checks. Any other lookup
 * (other requests, other clients, services sending grades) reads the database as before.
 */
export function installVerifiedPlatformLookup(provider: LtiProvider): void {
  if (installed) return;
  installed = true;
  type Lookup = (this: unknown, url: string, clientId?: string, ...rest: unknown[]) => Promise<LtiPlatform | LtiPlatform[] | false>;
  const lookup = provider.getPlatform as unknown as Lookup;
  const shortcut: Lookup = function (this: unknown, url, clientId, ...rest) {
    const context = verified.getStore();
    if (context && url === context.iss) {
      if (clientId === context.clientId) return Promise.resolve(verifiedView(context));
      // A login without client_id: the guard accepted it only if the issuer has exactly one registration.
      if (clientId === undefined && context.onlyRegistration) return Promise.resolve([verifiedView(context)]);
    }
    // ltijs passes this method around unbound (Auth.validateToken); it then names its database itself.
    return lookup.call(this ?? provider, url, clientId, ...rest);
  };
  Object.defineProperty(provider, 'getPlatform', { value: shortcut, configurable: true, writable: true });
}
