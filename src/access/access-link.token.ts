import { hkdfSync } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { ACCESS_PURPOSES, type AccessPurpose } from './access-link.model';

/**
 * Access-link tokens are HS256 JWTs. The key is derived from LTI_ENCRYPTION_KEY
 * with HKDF-SHA256 (salt "fieldbook", info "fieldbook/access-link/v1"), so no key
 * has to be stored, and the key signs nothing else. Rotating LTI_ENCRYPTION_KEY
 * invalidates every outstanding link (people ask for a new one).
 * Only one party signs and verifies, so a symmetric key is enough.
 */
export const ACCESS_TOKEN_TYPE = 'fieldbook-access+jwt';
export const ACCESS_TOKEN_AUDIENCE = 'fieldbook:access';
export const ACCESS_KEY_INFO = 'fieldbook/access-link/v1';

const keys = new Map<string, Uint8Array>();

export function accessLinkKey(encryptionKey: string): Uint8Array {
  let key = keys.get(encryptionKey);
  if (!key) {
    key = new Uint8Array(hkdfSync('sha256', encryptionKey, 'fieldbook', ACCESS_KEY_INFO, 32));
    keys.set(encryptionKey, key);
  }
  return key;
}

export interface AccessTokenSettings {
  encryptionKey: string;
  /** Issuer claim: this Fieldbook's public URL. */
  issuer: string;
}

export async function signAccessToken(settings: AccessTokenSettings, claims: { jti: string; purpose: AccessPurpose; expiresAt: Date }): Promise<string> {
  return new SignJWT({ purpose: claims.purpose })
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })
    .setJti(claims.jti)
    .setIssuer(settings.issuer)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(accessLinkKey(settings.encryptionKey));
}

export type VerifiedAccessToken =
  | { ok: true; jti: string; purpose: AccessPurpose }
  /** expired carries the jti: the signature was good, so the record can be looked up to say who to ask. */
  | { ok: false; reason: 'expired'; jti: string | null }
  | { ok: false; reason: 'invalid' | 'wrong_purpose'; jti: null };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export async function verifyAccessToken(settings: AccessTokenSettings, token: string): Promise<VerifiedAccessToken> {
  if (token.length > 2048 || !TOKEN_SHAPE.test(token)) return { ok: false, reason: 'invalid', jti: null };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, accessLinkKey(settings.encryptionKey), {
      algorithms: ['HS256'],
      typ: ACCESS_TOKEN_TYPE,
      issuer: settings.issuer,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ['jti', 'exp', 'purpose'],
    }));
  } catch (err) {
    // jose checks the signature before the claims, so an expired token's payload is authentic.
    if (err instanceof joseErrors.JWTExpired) {
      const jti = typeof err.payload.jti === 'string' ? err.payload.jti : null;
      return { ok: false, reason: 'expired', jti };
    }
    return { ok: false, reason: 'invalid', jti: null };
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0) return { ok: false, reason: 'invalid', jti: null };
  if (!ACCESS_PURPOSES.includes(payload.purpose as AccessPurpose)) return { ok: false, reason: 'wrong_purpose', jti: null };
  return { ok: true, jti: payload.jti, purpose: payload.purpose as AccessPurpose };
}
