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
import { ensureGuardIndexes, LoginStateModel, usedNonceId, UsedNonceModel } from './guard.models';
import type { KeyResolver } from './platform-keys';
import { isConfirmedStorageLaunch, parkLaunch, sendStoragePage } from './platform-storage';
import { continueVerified, type VerifiedPlatform } from './verified-platform';

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
 * Our full id_token validation in front of ltijs. Everything runs before the login's
 * nonce is consumed, so a forged or broken token never burns a real user's login; only
 * a fully valid token consumes it (one insert of its used nonce: atomic on both database
 * servers) and then reaches ltijs, which makes its own checks and opens the session.
 */
export function createLaunchGuard(deps: { config: AppConfig; logger: Logger; keys: KeyResolver }): RequestHandler {
  const { config, logger, keys } = deps;
  const skew = config.lti.clockSkewSeconds;

  async function recordNonce(iss: string, nonce: string, exp: unknown, now: Date): Promise<void> {
    const expMs = typeof exp === 'number' ? exp * 1000 + skew * 1000 : 0;
    try {
      await UsedNonceModel.create({ _id: usedNonceId(iss, nonce), iss, nonce, usedAt: now, expiresAt: new Date(Math.max(now.getTime() + USED_NONCE_MIN_TTL_MS, expMs)) });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw guardErrors.replay();
      throw err;
    }
  }

  /**
   * The cookie flow's usual case (state cookie present and naming the token's iss), checked in one
   * pass: every check of the full path runs, against the registration the token names (azp, or its
   * single aud), and the token must match the stored login exactly (same iss and client, our nonce,
   * the same target_link_uri, the login's deployment if it named one, unexpired). Returns null,
   * having consumed nothing, when anything fails or does not line up: the full path then runs and
   * names the exact refusal. The caller consumes the nonce.
   */
  async function checkDirect(input: {
    idToken: string;
    claims: JWTPayload;
    iss: string;
    state: string;
    now: Date;
    keyFor: (platform: CachedRegistration['platform']) => Promise<KeyObject>;
  }): Promise<{ clientId: string; deploymentId: string; nonce: string; exp: unknown; verified: VerifiedPlatform } | null> {
    const { claims, iss, now } = input;
    const aud = claims.aud;
    const clientId = typeof claims.azp === 'string' ? claims.azp : typeof aud === 'string' ? aud : Array.isArray(aud) && aud.length === 1 ? aud[0] : undefined;
    if (typeof clientId !== 'string' || clientId.length === 0) return null;
    const registrations = await registrationsFor(iss);
    const registration = usable(registrations, clientId);
    if (!registration.ok) return null;
    let payload: JWTPayload;
    let key: KeyObject;
    try {
      key = await input.keyFor(registration.platform);
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
    const login = await LoginStateModel.findOne({ _id: input.state }).lean();
    const matches =
      !!login &&
      login.iss === iss &&
      login.clientId === clientId &&
      login.nonce === nonce &&
      login.targetLinkUri === targetLinkUri &&
      login.expiresAt > now &&
      (!login.deploymentId || login.deploymentId === deploymentId);
    if (!matches) return null;
    return { clientId, deploymentId, nonce, exp: payload.exp, verified: { iss, clientId, platform: registration.platform, key } };
  }

  /** ctx.nonce is set once the token is decoded: from there on, a used nonce makes any refusal a replay. */
  type Passed = { verified: VerifiedPlatform; parked?: { target: string; origin: string; state: string; launchId: string } };
  async function guard(req: Request, ctx: { nonce?: { iss: string; nonce: string } }): Promise<Passed> {
    const form = launchFormSchema.safeParse(req.body);
    if (!form.success) throw invalid('lti_launch_form_invalid', `${String(form.error.issues[0].path[0] ?? 'form')} missing or invalid`);
    const { id_token: idToken, state } = form.data;
    const { kid, claims } = decode(idToken);
    const iss = claims.iss;
    if (typeof iss !== 'string' || iss.length === 0 || iss.length > 2048) throw invalid('lti_claim_iss_missing', 'iss claim missing');

    await ensureGuardIndexes();
    if (typeof claims.nonce === 'string') ctx.nonce = { iss, nonce: claims.nonce };
    // A nonce already used is refused as a replay whatever else is wrong with the request. That is
    // looked up only when the launch is refused (guardOrReplay): a launch that passes every check
    // then inserts its used-nonce record, and the insert itself refuses the second use.

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

    if (cookieIss === iss) {
      const direct = await checkDirect({ idToken, claims, iss, state, now, keyFor });
      if (direct) {
        // Single use: of two posts of the same login only one inserts the used nonce.
        await recordNonce(iss, direct.nonce, direct.exp, now);
        logger.debug({ iss, clientId: direct.clientId, deploymentId: direct.deploymentId, viaStorage: false }, 'launch passed the guard');
        return { verified: direct.verified };
      }
    }

    // The full path: each check in turn, so a refusal names the first thing that is wrong.
    const login = await LoginStateModel.findOne({ _id: state }).lean();
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

    // Single use: of two posts of the same login only one inserts the used nonce.
    await recordNonce(iss, login.nonce, payload.exp, now);
    logger.debug({ iss, clientId: login.clientId, deploymentId, viaStorage }, 'launch passed the guard');
    const verified: VerifiedPlatform = { iss, clientId: login.clientId, platform: registration.platform, key };
    if (!viaStorage) return { verified };
    const launchId = await parkLaunch({ state, iss, idToken, path: req.url });
    return { verified, parked: { target: login.storageTarget!, origin: login.storageOrigin!, state, launchId } };
  }

  /** Any refusal of a token whose nonce was already used is reported as a replay (409). */
  async function guardOrReplay(req: Request): Promise<Awaited<ReturnType<typeof guard>>> {
    const ctx: { nonce?: { iss: string; nonce: string } } = {};
    try {
      return await guard(req, ctx);
    } catch (err) {
      if (!ctx.nonce || !(err instanceof AppError) || err.status === 409) throw err;
      if (await UsedNonceModel.exists({ _id: usedNonceId(ctx.nonce.iss, ctx.nonce.nonce) })) throw guardErrors.replay();
      throw err;
    }
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || body.id_token === undefined) return next();
    if (isConfirmedStorageLaunch(req)) return next();
    const app = req.app;
    guardOrReplay(req).then(({ verified, parked }) => {
      // ltijs then verifies the token again with the key the guard used, without looking it up again.
      if (!parked) return continueVerified(verified, next);
      sendStoragePage(app, res, next, { mode: 'launch', ...parked });
    }, next);
  };
}
