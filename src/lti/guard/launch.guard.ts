import type { KeyObject } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { AppConfig } from '../../platform/config';
import { AppError, isDuplicateKeyError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { isKnownDeployment, registrationsFor, type CachedRegistration } from '../platform-registry';
import { checkClaims, DEPLOYMENT_CLAIM, TARGET_LINK_URI_CLAIM } from './launch-claims';
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

  async function recordNonce(iss: string, nonce: string, exp: unknown, now: Date): Promise<void> {
    const expMs = typeof exp === 'number' ? exp * 1000 + skew * 1000 : 0;
    try {
      await UsedNonceModel.create({ iss, nonce, usedAt: now, expiresAt: new Date(Math.max(now.getTime() + USED_NONCE_MIN_TTL_MS, expMs)) });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw guardErrors.replay();
      throw err;
    }
  }

  /**
   * The cookie flow's usual case (state cookie present and naming the token's iss) with one database
   * operation instead of a read and then a delete: every check of the full path runs first, against
   * the registration the token names (azp, or its single aud), and the comparisons with the stored
   * login (same iss and client, our nonce, the same target_link_uri, the login's deployment if it
   * named one, unexpired) are the filter of the single-use findOneAndDelete, which therefore happens
   * only after the signature and claims are verified. Returns null or 'no_login' (no login matched
   * the delete), having consumed nothing, when anything fails or does not line up: the full path
   * then runs and names the exact refusal.
   */
  async function consumeDirect(input: {
    idToken: string;
    claims: JWTPayload;
    iss: string;
    state: string;
    now: Date;
    keyFor: (platform: CachedRegistration['platform']) => Promise<KeyObject>;
  }): Promise<{ clientId: string; deploymentId: string; nonce: string; exp: unknown } | 'no_login' | null> {
    const { claims, iss, now } = input;
    const aud = claims.aud;
    const clientId = typeof claims.azp === 'string' ? claims.azp : typeof aud === 'string' ? aud : Array.isArray(aud) && aud.length === 1 ? aud[0] : undefined;
    if (typeof clientId !== 'string' || clientId.length === 0) return null;
    const registrations = await registrationsFor(iss);
    const registration = usable(registrations, clientId);
    if (!registration.ok) return null;
    let payload: JWTPayload;
    try {
      const key = await input.keyFor(registration.platform);
      ({ payload } = await jwtVerify(input.idToken, key, { algorithms: ['RS256'], issuer: iss, clockTolerance: skew, requiredClaims: ['exp', 'iat'] }));
    } catch {
      return null;
    }
    const nonce = payload.nonce;
    const targetLinkUri = payload[TARGET_LINK_URI_CLAIM];
    if (typeof nonce !== 'string' || typeof targetLinkUri !== 'string') return null;
    const checked = checkClaims(payload, {
      clientId,
      trustedAudiences: registrations.map((r) => r.clientId),
      nonce,
      targetLinkUri,
      nowSeconds: Math.floor(now.getTime() / 1000),
      clockSkewSeconds: skew,
      maxAgeSeconds: config.lti.tokenMaxAgeSeconds,
    });
    if (!checked.ok) return null;
    const deploymentId = checked.message[DEPLOYMENT_CLAIM];
    if (!(await isKnownDeployment(iss, clientId, deploymentId))) return null;
    // Single use: of two concurrent posts of the same state only one gets the record.
    const consumed = await LoginStateModel.findOneAndDelete({
      state: input.state,
      iss,
      clientId,
      nonce,
      targetLinkUri,
      expiresAt: { $gt: now },
      $or: [{ deploymentId: { $exists: false } }, { deploymentId }],
    }).lean();
    if (!consumed) return 'no_login';
    return { clientId, deploymentId, nonce, exp: payload.exp };
  }

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
    // Per request, so the full path below does not fetch a key set again after the direct one failed.
    const keyMemo = new WeakMap<CachedRegistration['platform'], Map<string, Promise<KeyObject>>>();
    const keyFor = (platform: CachedRegistration['platform']): Promise<KeyObject> => {
      let byKid = keyMemo.get(platform);
      if (!byKid) keyMemo.set(platform, (byKid = new Map()));
      let key = byKid.get(kid);
      if (!key) byKid.set(kid, (key = keys.keyFor(platform, kid)));
      return key;
    };

    // Set when the token passed every check of the direct path but no login matched the delete.
    let verifiedButNoLogin = false;
    if (cookieIss === iss) {
      const direct = await consumeDirect({ idToken, claims, iss, state, now, keyFor });
      if (direct === 'no_login') verifiedButNoLogin = true;
      else if (direct) {
        await recordNonce(iss, direct.nonce, direct.exp, now);
        logger.debug({ iss, clientId: direct.clientId, deploymentId: direct.deploymentId, viaStorage: false }, 'launch passed the guard');
        return null;
      }
    }

    // The full path: each check in turn, so a refusal names the first thing that is wrong.
    const login = await LoginStateModel.findOne({ state }).lean();
    const viaStorage = cookieIss === undefined && !!login?.storageTarget && !!login.storageOrigin && login.expiresAt > now;
    if (!viaStorage) {
      if (typeof cookieIss !== 'string') throw unverified('lti_state_cookie_missing', 'the login cookie is missing or was altered');
      if (cookieIss !== iss) throw unverified('lti_state_cookie_mismatch', 'the login was for another platform');
    }
    // A verified token whose login (named by our signed cookie) is gone was consumed in between by
    // a concurrent post of the same launch: the full path's single-use delete would say the same.
    if (!login && verifiedButNoLogin) throw guardErrors.replay();
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
    const key = await keyFor(registration.platform);

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
    await recordNonce(iss, checked.message.nonce, payload.exp, now);
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
