import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, errors, type JWTPayload, type JWTVerifyOptions } from 'jose';

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
const sets = new Map<string, RemoteJwks>();

/** One cached key set per tool JWKS URL; jose refetches on an unknown kid (with a cooldown). */
function toolJwks(url: string): RemoteJwks {
  let set = sets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 5000, cacheMaxAge: 10 * 60 * 1000 });
    sets.set(url, set);
  }
  return set;
}

export class ToolJwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolJwtError';
  }
}

/** Why a tool JWT failed, in words a developer can act on. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the JWT has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} is invalid (${err.reason})`;
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the tool JWKS matches the JWT kid';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify with the tool key';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'only RS256 is accepted';
  if (err instanceof errors.JWKSTimeout) return 'the tool JWKS did not answer in time';
  if (err instanceof errors.JOSEError) return `the JWT is invalid (${err.code})`;
  return 'the JWT could not be verified';
}

/** Verifies a JWT the tool signed: RS256 only, kid required, key taken from the tool's JWKS URL. */
export async function verifyToolJwt(jwt: string, jwksUrl: string, options: JWTVerifyOptions & { clockSkewSeconds: number }): Promise<JWTPayload> {
  try {
    // Checked before any key lookup: a kid-less JWT would otherwise match a single-key JWKS.
    const header = decodeProtectedHeader(jwt);
    if (header.alg !== 'RS256') throw new ToolJwtError('only RS256 is accepted');
    if (!header.kid) throw new ToolJwtError('the JWT header has no kid');
    const { clockSkewSeconds: _skew, ...verifyOptions } = options;
    const { payload } = await jwtVerify(jwt, toolJwks(jwksUrl), {
      ...verifyOptions,
      algorithms: ['RS256'],
      clockTolerance: options.clockSkewSeconds,
    });
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number') throw new ToolJwtError('iat is missing');
    if (payload.iat > now + options.clockSkewSeconds) throw new ToolJwtError('iat is in the future');
    if (typeof payload.exp !== 'number') throw new ToolJwtError('exp is missing');
    return payload;
  } catch (err) {
    if (err instanceof ToolJwtError) throw err;
    throw new ToolJwtError(describe(err));
  }
}
