import { Router, type ErrorRequestHandler, type Request } from 'express';
import { z } from 'zod';
import { rateLimit } from '../lti/guard/rate-limit';
import type { AppConfig } from '../platform/config';
import { wrap } from '../platform/async-handler';
import { AppError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { inspectAccessLink, redeemAccessLink } from './access-link.service';
import { accessErrors } from './access.errors';
import { presentHome, presentLanding, presentRefusal } from './access.presenter';
import { requireExternalSession } from './external-session.service';

export interface AccessRouterDeps {
  config: AppConfig;
  logger: Logger;
  /** Redeem attempts per client IP and instance per minute (0 = off). */
  redeemPerMinute?: number;
  /**
   * Screens of the activities external people work in (e.g. the practicum mentor screens), mounted
   * before the built-in pages so they may answer /home; they share this router's headers and
   * refusal pages.
   */
  screens?: Router[];
}


const tokenParam = z.string().min(1).max(2048);
const redeemBody = z.object({ token: tokenParam });

/** The same per-IP limit as the LTI guard, shared by every instance (see rate-limit.ts), with a message for mentors. */
function perIpLimit(perMinute: number) {
  return rateLimit('access', perMinute, { refusal: accessErrors.rateLimited });
}

const wantsHtml = (req: Request) => !(req.headers.accept ?? '').includes('application/json') || (req.headers.accept ?? '').includes('text/html');

/**
 * External access (people without an LMS account), mounted at /access.
 * GET /access/:token never consumes the link; POST /access/redeem does, then
 * hands the session token on in the URL of /access/home (no cookies: works in
 * LMS iframes and browsers that block third-party cookies).
 */
export function createAccessRouter(deps: AccessRouterDeps): Router {
  const router = Router();
  const redeemLimit = perIpLimit(deps.redeemPerMinute ?? 60);
  // The landing page is cheap but touches the database and the audit log.
  const viewLimit = perIpLimit((deps.redeemPerMinute ?? 60) * 4);

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Robots-Tag', 'noindex, nofollow');
    next();
  });

  for (const screens of deps.screens ?? []) router.use(screens);

  // Placeholder when no activity screen answers /home.
  router.get(
    '/home',
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      res.render('access/home', presentHome(session));
    }),
  );

  router.post(
    '/redeem',
    redeemLimit,
    wrap(async (req, res) => {
      const body = redeemBody.safeParse(req.body);
      if (!body.success) throw accessErrors.link('invalid', null);
      const session = await redeemAccessLink(deps, body.data.token, { ip: req.ip ?? null });
      res.redirect(303, `/access/home?s=${encodeURIComponent(session.token)}`);
    }),
  );

  router.get(
    '/:token',
    viewLimit,
    wrap(async (req, res) => {
      const token = tokenParam.safeParse(req.params.token);
      if (!token.success) throw accessErrors.link('invalid', null);
      const link = await inspectAccessLink(deps, token.data, { ip: req.ip ?? null });
      res.render('access/landing', presentLanding(link, token.data));
    }),
  );

  // Refusals get a page written for mentors (the generic page says "launch from your course").
  const renderRefusal: ErrorRequestHandler = (err, req, res, next) => {
    if (!(err instanceof AppError) || !err.id.startsWith('access_') || !wantsHtml(req) || res.headersSent) return next(err);
    deps.logger.info({ err: { id: err.id }, path: req.baseUrl }, 'external access refused');
    res.status(err.status).render('access/refused', presentRefusal(err, (req as { id?: unknown }).id));
  };
  router.use(renderRefusal);
  return router;
}
