import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { AppConfig } from '../../platform/config';
import { AppError, isDuplicateKeyError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { isKnownDeployment, registrationsFor, type CachedRegistration } from '../platform-registry';
import { checkClaims, DEPLOYMENT_CLAIM } from './launch-claims';
import { guardErrors } from './guard.errors';
import { ensureGuardIndexes, LoginStateModel, UsedNonceModel } from './guard.models';
import type { KeyResolver } from './platform-keys';
import { isConfirmedStorageLaunch, parkLaunch, sendStoragePage } from './platform-storage';

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

/** The registration a login was for, if it is still registered and active. */
function usable(registrations: CachedRegistration[], clientId: string): { ok: true; platform: CachedRegistration['platform'] } | { ok: false; error: AppError } {
  const registration = registrations.find((r) => r.clientId === clientId);
  if (!registration) return { ok: false, error: guardErrors.unknownIssuer() };
  if (!registration.active) return { ok: false, error: guardErrors.inactivePlatform() };
  return { ok: true, platform: registration.platform };
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

  /** ctx.nonce is set once the token is decoded: from there on, a used nonce makes any refusal a replay. */
  async function guard(req: Request, ctx: { nonce?: { iss: string; nonce: string } }): Promise<{ target: string; origin: string; state: string; launchId: string } | null> {
    const form = launchFormSchema.safeParse(req.body);
    if (!form.success) throw invalid('lti_launch_form_invalid', `${String(form.error.issues[0].path[0] ?? 'form')} missing or invalid`);
    const { id_token: idToken, state } = form.data;
    const { kid, claims } = decode(idToken);
    const iss = claims.iss;
    if (typeof iss !== 'string' || iss.length === 0 || iss.length > 2048) throw invalid('lti_claim_iss_missing', 'iss claim missing');

    await ensureGuardIndexes();
    if (typeof claims.nonce === 'string') ctx.nonce = { iss, nonce: claims.nonce };
    // A nonce already used is refused as a replay whatever else is wrong with the request. That is
    // checked only when the launch is refused (see below): a launch that passes every check has a
    // nonce of a login record that still existed, which is deleted when a launch uses it, and the
    // unique index on used nonces stops the rest.

    // The cookie flow: only the browser that started this login holds the signed state cookie.
    // Without it, only a login that went through platform storage may go on; the browser must
    // then prove it can read the state back from the platform before a session opens (confirm).
    const now = new Date();
    const cookieIss = (req.signedCookies as Record<string, unknown> | undefined)?.[`state${state}`];
    const login = await LoginStateModel.findOne({ state }).lean();
    const viaStorage = cookieIss === undefined && !!login?.storageTarget && !!login.storageOrigin && login.expiresAt > now;
    if (!viaStorage) {
      if (typeof cookieIss !== 'string') throw unverified('lti_state_cookie_missing', 'the login cookie is missing or was altered');
      if (cookieIss !== iss) throw unverified('lti_state_cookie_mismatch', 'the login was for another platform');
    }
    if (!login || login.expiresAt <= now) throw unverified('lti_state_unknown', 'the login is unknown or has expired');
    if (login.iss !== iss) throw unverified('lti_iss_mismatch', 'the issuer does not match the login');

    let registrations = await registrationsFor(iss);
    let registration = usable(registrations, login.clientId);
    if (!registration.ok) {
      // The cache only ever answers yes; a refusal is read again from the database.
      registrations = await registrationsFor(iss, { fresh: true });
      registration = usable(registrations, login.clientId);
      if (!registration.ok) throw registration.error;
    }
    const key = await keys.keyFor(registration.platform, kid);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, key, { algorithms: ['RS256'], issuer: iss, clockTolerance: skew, requiredClaims: ['exp', 'iat'] }));
    } catch (err) {
      throw verificationError(err);
    }

    const expectations = (regs: CachedRegistration[]) => ({
      clientId: login.clientId,
      trustedAudiences: regs.map((r) => r.clientId),
      nonce: login.nonce,
      targetLinkUri: login.targetLinkUri,
      nowSeconds: Math.floor(now.getTime() / 1000),
      clockSkewSeconds: skew,
      maxAgeSeconds: config.lti.tokenMaxAgeSeconds,
    });
    let checked = checkClaims(payload, expectations(registrations));
    // The audiences come from the registry cache: a client registered since is read before refusing.
    if (!checked.ok && checked.error.id === 'lti_aud_untrusted') checked = checkClaims(payload, expectations(await registrationsFor(iss, { fresh: true })));
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
    logger.debug({ iss, clientId: login.clientId, deploymentId, viaStorage }, 'launch passed the guard');
    if (!viaStorage) return null;
    const launchId = await parkLaunch({ state, iss, idToken, path: req.url });
    return { target: login.storageTarget!, origin: login.storageOrigin!, state, launchId };
  }

  /** Any refusal of a token whose nonce was already used is reported as a replay (409). */
  async function guardOrReplay(req: Request): Promise<Awaited<ReturnType<typeof guard>>> {
    const ctx: { nonce?: { iss: string; nonce: string } } = {};
    try {
      return await guard(req, ctx);
    } catch (err) {
      if (!ctx.nonce || !(err instanceof AppError) || err.status === 409) throw err;
      if (await UsedNonceModel.exists(ctx.nonce)) throw guardErrors.replay();
      throw err;
    }
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || body.id_token === undefined) return next();
    if (isConfirmedStorageLaunch(req)) return next();
    const app = req.app;
    guardOrReplay(req).then((parked) => {
      if (!parked) return next();
      sendStoragePage(app, res, next, { mode: 'launch', ...parked });
    }, next);
  };
}
