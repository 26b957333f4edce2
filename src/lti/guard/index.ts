import cookieParser from 'cookie-parser';
import express, { type Router } from 'express';
import type { AppConfig } from '../../platform/config';
import type { Logger } from '../../platform/logger';
import { LTI_ROUTES } from '../provider';
import { createLaunchGuard } from './launch.guard';
import { createLoginGuard } from './login.guard';
import { KeyResolver, type KeyResolverOptions } from './platform-keys';
import { createStorageConfirm, partitionedCookies, STORAGE_CONFIRM_ROUTE } from './platform-storage';
import { rateLimit } from './rate-limit';
import { refuseUnusableState } from './state-field';

/**
 * Fieldbook's own login and launch validation, mounted at the LTI prefix in front of
 * ltijs (app.use(LTI_MOUNT, createLtiGuard(...)) before app.use(LTI_MOUNT, lti.app)).
 * It only refuses or passes on: ltijs still produces the login redirect and opens the session.
 */
export function createLtiGuard(deps: { config: AppConfig; logger: Logger; keys?: KeyResolverOptions }): Router {
  const { config, logger } = deps;
  const router = express.Router();
  // Same secret as ltijs, so the guard can read ltijs's signed state<STATE> cookie.
  router.use(cookieParser(config.lti.encryptionKey));
  // Before anything reaches ltijs: a state it cannot name a cookie after hangs the request there.
  router.use(refuseUnusableState);
  // Secure cookies get Partitioned (CHIPS); confirmed storage launches get SameSite=None; Secure; Partitioned.
  router.use(partitionedCookies());
  router.all(LTI_ROUTES.login, rateLimit('lti-login', config.lti.rateLimitPerMinute, { logger }), createLoginGuard({ config, logger }));

  const launchLimit = rateLimit('lti-launch', config.lti.rateLimitPerMinute, { logger });
  const launchGuard = createLaunchGuard({ config, logger, keys: new KeyResolver(deps.keys) });
  // Platform storage: the page that read the state back posts the one-time id here (rewritten into the launch).
  const confirm = createStorageConfirm({ logger });
  router.post(STORAGE_CONFIRM_ROUTE, (req, res, next) => launchLimit(req, res, (err?: unknown) => (err ? next(err) : confirm(req, res, next))));
  // Any path under the mount that carries an id_token is a launch to ltijs (it only skips login).
  router.use((req, res, next) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (req.path === LTI_ROUTES.login || !body || typeof body !== 'object' || body.id_token === undefined) return next();
    launchLimit(req, res, (err?: unknown) => (err ? next(err) : launchGuard(req, res, next)));
  });
  return router;
}
