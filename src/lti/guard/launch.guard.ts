import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { AppConfig } from '../../platform/config';
import { AppError, isDuplicateKeyError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { lti } from '../ltijs';
import { isKnownDeployment } from '../platform-registry';
import { checkClaims, DEPLOYMENT_CLAIM } from './launch-claims';
import { guardErrors } from './guard.errors';
import { ensureGuardIndexes, LoginStateModel, UsedNonceModel } from './guard.models';
import type { KeyResolver } from './platform-keys';

/** Platforms issue id_tokens for up to an hour (Canvas); a used nonce is remembered at least that long. */
const USED_NONCE_MIN_TTL_MS = 60 * 60_000;

const launchFormSchema = z.object({
  id_token: z.string().min(1).max(64 * 1024),
  state: z.string().min(1).max(512),
});

const invalid = guardErrors.launchInvalid;
const unverified = guardErrors.launchUnverified;

/** Maps jose's verification failures to stable ids; anything else is a bad signature or token. */
function verificationError(err: unknown): AppError {
  if (err instanceof joseErrors.JWTExpired) return unverified('lti_token_expired', 'the id_token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return unverified('lti_token_not_yet_valid', 'the id_token is not valid yet');
    if (err.claim === 'iss') return unverified('lti_iss_mismatch', 'the issuer does not match');
    return unverified(`lti_claim_${err.claim.replace(/[^a-z_]/gi, '_')}_invalid`, `${err.claim} claim invalid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return unverified('lti_signature_invalid', 'the signature does not match the platform key');
  return unverified('lti_token_invalid', 'the id_token could not be verified');
}

function decode(idToken: string): { kid: string; claims: JWTPayload } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(idToken);
    claims = decodeJwt(idToken);
  } catch {
    throw invalid('lti_jwt_malformed', 'the id_token is not a signed JWT');
  }
  // Only RS256 is registered for LTI platforms; this refuses none, HS256 key confusion, RS512, PS256.
  if (header.alg !== 'RS256') throw unverified('lti_alg_not_allowed', 'only RS256 is accepted');
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw unverified('lti_kid_missing', 'the id_token names no key');
  return { kid: header.kid, claims };
}

/**
 * Our full id_token validation in front of ltijs. Everything that can be checked
 * without consuming the login runs first, so a forged or broken token never burns a
 * real user's state; only a fully valid token consumes it (atomically) and then
 * reaches ltijs, which makes its own checks and opens the session.
 */
export function createLaunchGuard(deps: { config: AppConfig; logger: Logger; keys: KeyResolver }): RequestHandler {
  const { config, logger, keys } = deps;
  const skew = config.lti.clockSkewSeconds;

  async function guard(req: Request): Promise<void> {
    const form = launchFormSchema.safeParse(req.body);
    if (!form.success) throw invalid('lti_launch_form_invalid', `${String(form.error.issues[0].path[0] ?? 'form')} missing or invalid`);
    const { id_token: idToken, state } = form.data;
    const { kid, claims } = decode(idToken);
    const iss = claims.iss;
    if (typeof iss !== 'string' || iss.length === 0 || iss.length > 2048) throw invalid('lti_claim_iss_missing', 'iss claim missing');

    await ensureGuardIndexes();
    if (typeof claims.nonce === 'string' && (await UsedNonceModel.exists({ iss, nonce: claims.nonce }))) throw guardErrors.replay();

    // The cookie flow: only the browser that started this login holds the signed state cookie.
    const cookieIss = (req.signedCookies as Record<string, unknown> | undefined)?.[`state${state}`];
    if (typeof cookieIss !== 'string') throw unverified('lti_state_cookie_missing', 'the login cookie is missing or was altered');
    if (cookieIss !== iss) throw unverified('lti_state_cookie_mismatch', 'the login was for another platform');

    const now = new Date();
    const login = await LoginStateModel.findOne({ state }).lean();
    if (!login || login.expiresAt <= now) throw unverified('lti_state_unknown', 'the login is unknown or has expired');
    if (login.iss !== iss) throw unverified('lti_iss_mismatch', 'the issuer does not match the login');

    const platform = await lti.getPlatform(iss, login.clientId);
    if (!platform) throw guardErrors.unknownIssuer();
    if (!(await platform.platformActive())) throw guardErrors.inactivePlatform();
    const key = await keys.keyFor(platform, kid);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, key, { algorithms: ['RS256'], issuer: iss, clockTolerance: skew, requiredClaims: ['exp', 'iat'] }));
    } catch (err) {
      throw verificationError(err);
    }

    const registrations = (await lti.getPlatform(iss)) || [];
    const trustedAudiences = await Promise.all(registrations.map((p) => p.platformClientId()));
    const checked = checkClaims(payload, {
      clientId: login.clientId,
      trustedAudiences,
      nonce: login.nonce,
      targetLinkUri: login.targetLinkUri,
      nowSeconds: Math.floor(now.getTime() / 1000),
      clockSkewSeconds: skew,
      maxAgeSeconds: config.lti.tokenMaxAgeSeconds,
    });
    if (!checked.ok) throw checked.error;
    const deploymentId = checked.message[DEPLOYMENT_CLAIM];
    if (login.deploymentId && login.deploymentId !== deploymentId) throw unverified('lti_deployment_mismatch', 'deployment_id differs from the login');
    if (!(await isKnownDeployment(iss, login.clientId, deploymentId))) throw guardErrors.unknownDeployment();

    // Single use: of two concurrent posts of the same state only one gets the record.
    const consumed = await LoginStateModel.findOneAndDelete({ state, nonce: login.nonce, expiresAt: { $gt: now } });
    if (!consumed) throw guardErrors.replay();
    const exp = typeof payload.exp === 'number' ? payload.exp * 1000 + skew * 1000 : 0;
    try {
      await UsedNonceModel.create({ iss, nonce: checked.message.nonce, usedAt: now, expiresAt: new Date(Math.max(now.getTime() + USED_NONCE_MIN_TTL_MS, exp)) });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw guardErrors.replay();
      throw err;
    }
    logger.debug({ iss, clientId: login.clientId, deploymentId }, 'launch passed the guard');
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || body.id_token === undefined) return next();
    guard(req).then(() => next(), next);
  };
}
