import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import type { AppConfig } from '../platform/config';
import { SandboxAccessToken, SandboxUsedJti } from './ags.models';
import { AGS_SCOPES, NRPS_SCOPE } from './id-token.service';
import { ProcessMemo } from './memo.util';
import { isDuplicateKeyError } from './model.util';
import { SandboxError } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import { countTokenRequest } from './settings.service';
import { ToolJwtError, verifyToolJwt } from './tool-keys.service';

export const GRANTABLE_SCOPES: readonly string[] = [...Object.values(AGS_SCOPES), NRPS_SCOPE];
const TOKEN_LIFETIME_S = 3600;
/** A client assertion is meant for one request; a long-lived one is refused. */
const MAX_ASSERTION_LIFETIME_S = 3600;

const oauthError = (status: number, error: string, description: string): SandboxError =>
  new SandboxError(status, error, description, { error, error_description: description });

const tokenRequestSchema = z.object({
  grant_type: z.string().optional(),
  client_assertion_type: z.string().optional(),
  client_assertion: z.string().max(16384).optional(),
  scope: z.string().max(4096).optional(),
});

export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Tokens seen by this process, so a burst of service requests does not read its token each time.
 * A copy lives 30 s at most (a revocation by another process is honoured within that) and never
 * past the token's expiry, which is checked on every use; revoking here clears them all.
 */
const TOKEN_MEMO_MS = 30_000;
interface KnownToken {
  scopes: string[];
  expiresAt: number;
}
const knownTokens = new ProcessMemo<KnownToken>();
/** Bumped by each revocation, so a lookup that began before it does not keep what was revoked. */
let revocations = 0;

async function findToken(tokenHash: string): Promise<KnownToken | null> {
  const known = knownTokens.get(tokenHash);
  if (known) return known;
  const generation = revocations;
  const doc = (await SandboxAccessToken.findOne({ _id: tokenHash }).lean()) ?? (await SandboxAccessToken.findOne({ tokenHash }).lean());
  if (!doc) return null;
  const token = { scopes: [...doc.scopes], expiresAt: doc.expiresAt.getTime() };
  if (generation === revocations) knownTokens.set(tokenHash, token, Math.min(token.expiresAt, Date.now() + TOKEN_MEMO_MS));
  return token;
}

async function storeToken(accessToken: string, scopes: string[]): Promise<void> {
  const tokenHash = hashToken(accessToken);
  await SandboxAccessToken.create({ _id: tokenHash, tokenHash, scopes, expiresAt: new Date(Date.now() + TOKEN_LIFETIME_S * 1000), createdAt: new Date() });
}

/** OAuth 2 client credentials with a JWT client assertion (1EdTech Security Framework §4.1). */
export async function issueAccessToken(config: Pick<AppConfig, 'publicUrl' | 'lti'>, body: unknown): Promise<AccessTokenResponse> {
  let issued = false;
  try {
    const form = tokenRequestSchema.safeParse(body ?? {});
    if (!form.success) throw oauthError(400, 'invalid_request', 'malformed token request');
    const { grant_type, client_assertion_type, client_assertion, scope } = form.data;
    if (grant_type !== 'client_credentials') throw oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    if (client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      throw oauthError(400, 'invalid_request', 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    }
    if (!client_assertion) throw oauthError(400, 'invalid_request', 'client_assertion is required');
    const scopes = [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
    if (scopes.length === 0) throw oauthError(400, 'invalid_scope', 'scope is required');
    const refused = scopes.filter((s) => !GRANTABLE_SCOPES.includes(s));
    if (refused.length > 0) throw oauthError(400, 'invalid_scope', `scopes not granted to this tool: ${refused.join(' ')}`);

    const id = sandboxIdentity(config);
    const payload = await verifyToolJwt(client_assertion, id.toolJwksUrl, {
      issuer: id.clientId,
      subject: id.clientId,
      audience: id.tokenEndpoint,
      requiredClaims: ['jti', 'exp', 'iat'],
      clockSkewSeconds: config.lti.clockSkewSeconds,
    }).catch((err: unknown) => {
      throw err instanceof ToolJwtError ? oauthError(401, 'invalid_client', `client_assertion rejected: ${err.message}`) : err;
    });
    const exp = payload.exp as number;
    if (exp - Math.floor(Date.now() / 1000) > MAX_ASSERTION_LIFETIME_S) throw oauthError(401, 'invalid_client', 'client_assertion exp is too far in the future');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw oauthError(401, 'invalid_client', 'client_assertion jti is missing');
    try {
      await SandboxUsedJti.create({ jti: payload.jti, expiresAt: new Date(exp * 1000) });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw oauthError(401, 'invalid_client', 'client_assertion jti has already been used');
      throw err;
    }

    const accessToken = randomBytes(32).toString('base64url');
    await storeToken(accessToken, scopes);
    issued = true;
    return { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, scope: scopes.join(' ') };
  } finally {
    await countTokenRequest(issued);
  }
}

/**
 * Checks the Bearer token of a service request: 401 without a valid token, 403 when the token
 * lacks every one of the accepted scopes.
 */
export async function requireScope(req: Request, acceptedScopes: string[]): Promise<void> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const challenge = { 'WWW-Authenticate': 'Bearer realm="sandbox", error="invalid_token"' };
  if (!match) throw new SandboxError(401, 'unauthorized', 'Bearer token required', { errors: { type: 'unauthorized', message: 'Bearer token required' } }, challenge);
  const doc = await findToken(hashToken(match[1]));
  if (!doc || doc.expiresAt <= Date.now()) {
    throw new SandboxError(401, 'unauthorized', 'Invalid or expired access token', { errors: { type: 'unauthorized', message: 'Invalid or expired access token' } }, challenge);
  }
  if (!acceptedScopes.some((s) => doc.scopes.includes(s))) {
    throw new SandboxError(403, 'forbidden', 'Insufficient scope', { errors: { type: 'forbidden', message: `Insufficient scope; needs one of ${acceptedScopes.join(' ')}` } });
  }
}

/** Test helper: a token straight from the store, for tests of AGS/NRPS semantics rather than OAuth. */
export async function issueSandboxAccessTokenForTests(scopes: string[]): Promise<string> {
  const accessToken = randomBytes(32).toString('base64url');
  await storeToken(accessToken, scopes);
  return accessToken;
}

/**
 * Invalidates the access tokens issued so far (all, or those carrying `scope`): the service
 * endpoints then answer 401 to them, as Canvas does for a token it no longer honours (developer
 * key turned off and on, token revoked) although the tool still believes it valid for the hour.
 * Returns how many tokens were revoked.
 */
export async function revokeSandboxTokens(options: { scope?: string } = {}): Promise<number> {
  revocations += 1;
  knownTokens.clear();
  const res = await SandboxAccessToken.deleteMany(options.scope ? { scopes: options.scope } : {});
  // Again after the delete: a lookup may have read a token while the delete ran.
  revocations += 1;
  knownTokens.clear();
  return res.deletedCount;
}
