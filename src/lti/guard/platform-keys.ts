import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { LtiPlatform } from '../ltijs';
import { guardErrors } from './guard.errors';

/**
 * Resolves the platform's verification key for a kid. ltijs fetches key sets on every
 * launch, uncached and without a short timeout; we cache per URL, refetch once when a
 * kid is unknown (key rotation), and turn a slow or failing endpoint into a 4xx.
 */
export interface KeyResolverOptions {
  cacheTtlMs?: number;
  timeoutMs?: number;
  /** Refetch on an unknown kid no more often than this, so forged kids cannot hammer the platform. */
  minRefetchIntervalMs?: number;
  maxBytes?: number;
}

const jwkSchema = z
  .object({ kty: z.string(), kid: z.string().optional(), alg: z.string().optional(), use: z.string().optional(), n: z.string().optional(), e: z.string().optional() })
  .passthrough();
const jwksSchema = z.object({ keys: z.array(jwkSchema).max(100) });
type Jwk = z.infer<typeof jwkSchema>;
const MAX_STALE_MS = 60 * 60_000;

interface CachedSet {
  keys: Jwk[];
  fetchedAt: number;
}

export class KeyResolver {
  private readonly cache = new Map<string, CachedSet>();
  private readonly inFlight = new Map<string, Promise<CachedSet>>();
  private readonly keyObjects = new WeakMap<Jwk, KeyObject>();
  private readonly cacheTtlMs: number;
  private readonly timeoutMs: number;
  private readonly minRefetchIntervalMs: number;
  private readonly maxBytes: number;

  constructor(options: KeyResolverOptions = {}) {
    this.cacheTtlMs = options.cacheTtlMs ?? 10 * 60_000;
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.minRefetchIntervalMs = options.minRefetchIntervalMs ?? 1_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
  }

  /** The RSA public key to verify a token from this platform; throws an AppError (4xx) otherwise. */
  async keyFor(platform: LtiPlatform, kid: string): Promise<KeyObject> {
    const authConfig = await platform.platformAuthConfig();
    switch (authConfig?.method) {
      case 'JWK_SET':
        return this.fromKeySet(authConfig.key, kid);
      case 'JWK_KEY':
        return toRsaKey(typeof authConfig.key === 'string' ? (JSON.parse(authConfig.key) as Jwk) : (authConfig.key as Jwk));
      case 'RSA_KEY':
        return toRsaKey(authConfig.key);
      default:
        throw guardErrors.launchUnverified('lti_platform_key_missing', 'the platform has no verification key configured');
    }
  }

  private async fromKeySet(url: string, kid: string): Promise<KeyObject> {
    let set = await this.load(url, false);
    let jwk = set.keys.find((k) => k.kid === kid);
    if (!jwk && Date.now() - set.fetchedAt >= this.minRefetchIntervalMs) {
      set = await this.load(url, true);
      jwk = set.keys.find((k) => k.kid === kid);
    }
    if (!jwk) throw guardErrors.launchUnverified('lti_unknown_kid', 'the signing key is not in the platform key set');
    if (jwk.kty !== 'RSA' || (jwk.alg && jwk.alg !== 'RS256') || (jwk.use && jwk.use !== 'sig')) {
      throw guardErrors.launchUnverified('lti_unusable_key', 'the platform key is not an RS256 signing key');
    }
    // The parsed key is kept with the cached key set (it is replaced when the set is refetched).
    let key = this.keyObjects.get(jwk);
    if (!key) {
      key = toRsaKey(jwk);
      this.keyObjects.set(jwk, key);
    }
    return key;
  }

  private async load(url: string, force: boolean): Promise<CachedSet> {
    const cached = this.cache.get(url);
    if (!force && cached && Date.now() - cached.fetchedAt < this.cacheTtlMs) return cached;
    const pending = this.inFlight.get(url);
    if (pending) return pending;
    const request = this.fetchSet(url).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, request);
    return request;
  }

  private async fetchSet(url: string): Promise<CachedSet> {
    let body: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' }, redirect: 'follow' });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const text = await res.text();
      if (text.length > this.maxBytes) throw new Error('key set too large');
      body = JSON.parse(text);
    } catch {
      // A stale set is better than refusing every launch while the platform hiccups.
      const stale = this.cache.get(url);
      if (stale && Date.now() - stale.fetchedAt < MAX_STALE_MS) return stale;
      throw guardErrors.keysUnavailable();
    }
    const parsed = jwksSchema.safeParse(body);
    if (!parsed.success) throw guardErrors.keysUnavailable();
    const set = { keys: parsed.data.keys, fetchedAt: Date.now() };
    this.cache.set(url, set);
    return set;
  }
}

function toRsaKey(material: string | Jwk): KeyObject {
  let key: KeyObject;
  try {
    key = typeof material === 'string' ? createPublicKey(material) : createPublicKey({ key: material as never, format: 'jwk' });
  } catch {
    throw guardErrors.launchUnverified('lti_unusable_key', 'the platform key could not be read');
  }
  if (key.asymmetricKeyType !== 'rsa') throw guardErrors.launchUnverified('lti_unusable_key', 'the platform key is not an RSA key');
  return key;
}
