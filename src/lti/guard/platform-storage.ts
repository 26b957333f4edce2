import { randomBytes } from 'node:crypto';
import type { Application, CookieOptions, NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../platform/logger';
import { AppError } from '../../platform/errors';
import { LTI_MOUNT } from '../provider';
import { ensureGuardIndexes, ParkedLaunchModel } from './guard.models';

/**
 * LTI platform storage (1EdTech "LTI Client Side postMessages": lti.capabilities, lti.put_data,
 * lti.get_data), in front of ltijs, for browsers that drop third-party cookies in the LMS iframe.
 *
 * Login: when the platform sends lti_storage_target, ltijs still chooses the state (and sets its
 * state cookie, harmless if dropped); the login guard records state + nonce and answers the
 * storage page instead of the 302, which stores both in the platform and then goes to the auth
 * endpoint (or goes there at once if storage is unavailable: the cookie flow).
 * Launch: a launch without our state cookie, for a login that used storage, is validated fully by
 * the launch guard, then parked under a one-time id; the answer reads the state back from the
 * platform and, if it matches, posts the one-time id and that state to the confirm endpoint,
 * which hands the validated id_token to ltijs to open the session.
 */

/** Parked launches must be confirmed quickly: the page only makes two postMessage round trips. */
export const PARKED_LAUNCH_TTL_MS = 2 * 60_000;
export const STORAGE_CONFIRM_ROUTE = '/storage/confirm';

/** A frame name ('_parent' or a named frame such as Canvas's 'post_message_forwarding'). */
export const storageTargetSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a frame name');

const confirmSchema = z.object({
  launch_id: z.string().min(1).max(64),
  state: z.string().min(1).max(512),
});

const storageErrors = {
  confirmInvalid: () => new AppError(400, 'lti_storage_confirm_invalid', 'This launch confirmation is not valid. Please open Fieldbook again from your course.'),
  confirmUnknown: () =>
    new AppError(401, 'lti_storage_launch_unknown', 'This launch could not be confirmed (unknown, already used or expired). Please open Fieldbook again from your course.'),
  stateMismatch: () =>
    new AppError(401, 'lti_storage_state_mismatch', 'This launch could not be confirmed (the login state does not match). Please open Fieldbook again from your course.'),
};

/** Requests whose id_token was validated and confirmed on the storage path; set only by the server. */
const confirmedLaunches = new WeakSet<Request>();

export function isConfirmedStorageLaunch(req: Request): boolean {
  return confirmedLaunches.has(req);
}

export interface StoragePageData {
  mode: 'login' | 'launch';
  target: string;
  /** postMessage target origin: the platform's OIDC auth endpoint origin. */
  origin: string;
  state: string;
  nonce?: string;
  authUrl?: string;
  launchId?: string;
}

/**
 * Renders with our app's views even when called from inside ltijs's sub-app (whose req.app has
 * no view engine). External script only: the CSP forbids inline scripts.
 */
export function sendStoragePage(app: Pick<Application, 'render'>, res: Response, next: NextFunction, data: StoragePageData): void {
  app.render(
    'lti/platform-storage',
    {
      title: data.mode === 'login' ? 'Signing you in' : 'Opening Fieldbook',
      storage: data,
      confirmUrl: `${LTI_MOUNT}${STORAGE_CONFIRM_ROUTE}`,
      scripts: ['/static/lti/platform-storage.js'],
    },
    (err, html) => {
      if (err) return next(err);
      res.status(200).set('Cache-Control', 'no-store').type('html').send(html);
    },
  );
}

/** Parks a fully validated launch; returns its one-time id (192 random bits). */
export async function parkLaunch(input: { state: string; iss: string; idToken: string; path: string }): Promise<string> {
  await ensureGuardIndexes();
  const launchId = randomBytes(24).toString('base64url');
  const now = new Date();
  await ParkedLaunchModel.create({ _id: launchId, launchId, ...input, createdAt: now, expiresAt: new Date(now.getTime() + PARKED_LAUNCH_TTL_MS) });
  return launchId;
}

/**
 * The confirm endpoint. The record is taken (deleted) on the first attempt whatever its outcome,
 * so a one-time id is good for one try; it must be unexpired and the posted state (read back from
 * the platform by the page) must equal the launch's. Then the request is rewritten into the
 * original id_token POST, with ltijs's state cookie value supplied server side, and passed on to
 * ltijs, which re-verifies the id_token and opens the session. Its session cookie is made
 * `SameSite=None; Secure; Partitioned` (the storage path only happens in a third-party iframe).
 */
export function createStorageConfirm(deps: { logger: Logger }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const form = confirmSchema.safeParse(req.body);
    if (req.method !== 'POST' || !form.success) return next(storageErrors.confirmInvalid());
    const { launch_id: launchId, state } = form.data;
    (async () => {
      await ensureGuardIndexes();
      const parked = await ParkedLaunchModel.findOneAndDelete({ _id: launchId }).lean();
      if (!parked || parked.expiresAt.getTime() <= Date.now()) throw storageErrors.confirmUnknown();
      if (parked.state !== state) throw storageErrors.stateMismatch();
      return parked;
    })()
      .then((parked) => {
        deps.logger.debug({ iss: parked.iss }, 'platform storage: launch confirmed');
        const url = new URL(parked.path, 'http://internal');
        req.method = 'POST';
        req.url = url.pathname + url.search;
        req.query = Object.fromEntries(url.searchParams);
        req.body = { id_token: parked.idToken, state: parked.state };
        // ltijs reads the login's issuer from its signed state cookie; the guard has checked it all.
        req.signedCookies = { ...(req.signedCookies as Record<string, unknown>), [`state${parked.state}`]: parked.iss };
        confirmedLaunches.add(req);
        next();
      })
      .catch(next);
  };
}

/**
 * Wraps res.cookie for responses under the LTI mount: Secure cookies get `Partitioned` (CHIPS,
 * accepted by Chromium in third-party iframes when unpartitioned cookies are blocked); on a
 * confirmed storage launch every cookie is `SameSite=None; Secure; Partitioned`.
 */
export function partitionedCookies(): RequestHandler {
  return (req, res, next) => {
    const original = res.cookie.bind(res) as (name: string, value: unknown, options: CookieOptions) => Response;
    res.cookie = ((name: string, value: unknown, options?: CookieOptions) => {
      let opts: CookieOptions = { ...(options ?? {}) };
      if (confirmedLaunches.has(req)) opts = { ...opts, secure: true, sameSite: 'none' };
      if (opts.secure) opts.partitioned = true;
      return original(name, value, opts);
    }) as Response['cookie'];
    next();
  };
}
