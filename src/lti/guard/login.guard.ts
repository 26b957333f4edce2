import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { AppConfig } from '../../platform/config';
import type { Logger } from '../../platform/logger';
import { isKnownDeployment, registrationsFor, type CachedRegistration } from '../platform-registry';
import { LTI_MOUNT } from '../provider';
import { guardErrors } from './guard.errors';
import { ensureGuardIndexes, LoginStateModel, sweepExpired } from './guard.models';
import { sendStoragePage, storageTargetSchema } from './platform-storage';
import { continueVerified } from './verified-platform';

/** Long enough for a slow LMS authorization step; ltijs's own state cookie lives 60 s anyway. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;

const text = (max: number) => z.string().trim().min(1).max(max);
const loginSchema = z.object({
  iss: text(2048).url(),
  login_hint: text(2048),
  target_link_uri: text(2048).url(),
  client_id: text(255).optional(),
  lti_deployment_id: text(255).optional(),
  lti_message_hint: z.string().max(4096).optional(),
  lti_storage_target: storageTargetSchema.optional(),
});
type LoginParams = z.infer<typeof loginSchema>;

/**
 * The one registration this login is for; several registrations for an issuer need client_id.
 * Reads the registry cache; anything it would refuse is checked again against the database.
 */
async function findRegistration(iss: string, clientId: string | undefined, fresh = false): Promise<CachedRegistration> {
  const forIssuer = await registrationsFor(iss, { fresh });
  const refuse = (err: Error): Promise<CachedRegistration> => (fresh ? Promise.reject(err) : findRegistration(iss, clientId, true));
  if (forIssuer.length === 0) return refuse(guardErrors.unknownIssuer());
  let registration: CachedRegistration;
  if (clientId) {
    const match = forIssuer.find((r) => r.clientId === clientId);
    if (!match) return refuse(guardErrors.unknownClient());
    registration = match;
  } else {
    if (forIssuer.length > 1) return refuse(guardErrors.ambiguousClient());
    registration = forIssuer[0];
  }
  if (!registration.active) return refuse(guardErrors.inactivePlatform());
  return registration;
}

/** The platform may only send the browser back to this tool, under the LTI mount. */
export function isOurLaunchUrl(target: string, publicUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  const base = new URL(`${publicUrl}${LTI_MOUNT}`);
  if (url.origin !== base.origin || url.username || url.password) return false;
  return url.pathname === base.pathname || url.pathname.startsWith(`${base.pathname}/`);
}

/**
 * Validates the OIDC login initiation, then lets ltijs answer and captures its
 * redirect: the state it chose, and a nonce of ours (ltijs draws its nonce from
 * Math.random and never remembers it), stored so the launch can be bound to it.
 */
export function createLoginGuard(deps: { config: AppConfig; logger: Logger }): RequestHandler {
  const { config, logger } = deps;
  return (req: Request, res: Response, next: NextFunction) => {
    const parsed = loginSchema.safeParse({ ...(req.query as object), ...(req.body as object) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue.path[0] ?? 'request');
      const isMissing = issue.code === 'invalid_type' && issue.received === 'undefined';
      return next(guardErrors.loginInvalid(`${field} ${isMissing ? 'missing' : 'invalid'}`));
    }
    const params = parsed.data;
    checkLogin(params, config)
      .then((registration) => {
        interceptRedirect(req, res, next, params, registration.clientId, logger);
        // ltijs answers with the registration just checked (no second lookup of it).
        continueVerified({ iss: params.iss, clientId: registration.clientId, platform: registration.platform, onlyRegistration: !params.client_id }, next);
      })
      .catch(next);
  };
}

async function checkLogin(params: LoginParams, config: AppConfig): Promise<CachedRegistration> {
  if (!isOurLaunchUrl(params.target_link_uri, config.publicUrl)) throw guardErrors.badTargetLinkUri();
  const registration = await findRegistration(params.iss, params.client_id);
  if (params.lti_deployment_id && !(await isKnownDeployment(params.iss, registration.clientId, params.lti_deployment_id))) {
    throw guardErrors.unknownDeployment();
  }
  return registration;
}

function interceptRedirect(req: Request, res: Response, next: NextFunction, params: LoginParams, clientId: string, logger: Logger): void {
  const original = res.redirect.bind(res) as (status: number, url: string) => void;
  // Our app (with the view engine); inside ltijs's sub-app req.app is ltijs's.
  const app = req.app;
  res.redirect = ((...args: unknown[]) => {
    const location = String(typeof args[0] === 'number' ? args[1] : args[0]);
    recordLogin(location, params, clientId)
      .then(({ url: rewritten, state, nonce }) => {
        if (!params.lti_storage_target) return original(302, rewritten);
        // Platform storage: a page stores state and nonce in the platform, then goes to the same URL.
        sendStoragePage(app, res, next, { mode: 'login', target: params.lti_storage_target, origin: new URL(rewritten).origin, state, nonce, authUrl: rewritten });
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'could not record the LTI login state');
        // ltijs already set its state cookie; without our record the launch would fail anyway.
        res.removeHeader('Set-Cookie');
        next(guardErrors.storeUnavailable());
      });
  }) as Response['redirect'];
}

async function recordLogin(location: string, params: LoginParams, clientId: string): Promise<{ url: string; state: string; nonce: string }> {
  const url = new URL(location);
  const state = url.searchParams.get('state');
  if (!state || url.searchParams.get('client_id') !== clientId) throw new Error('unexpected ltijs login redirect');
  const nonce = randomBytes(24).toString('base64url');
  url.searchParams.set('nonce', nonce);
  await ensureGuardIndexes();
  const now = new Date();
  await LoginStateModel.create({
    _id: state,
    state,
    nonce,
    iss: params.iss,
    clientId,
    targetLinkUri: params.target_link_uri,
    loginHint: params.login_hint,
    ...(params.lti_deployment_id ? { deploymentId: params.lti_deployment_id } : {}),
    ...(params.lti_storage_target ? { storageTarget: params.lti_storage_target, storageOrigin: url.origin } : {}),
    createdAt: now,
    expiresAt: new Date(now.getTime() + LOGIN_STATE_TTL_MS),
  });
  // At most once a minute, off the request path.
  void sweepExpired(now).catch(() => undefined);
  return { url: url.toString(), state, nonce };
}
