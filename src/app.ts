import path from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import pinoHttp from 'pino-http';
import { createLtiRouter, externalActivityRouters } from './lti/lti.router';
import { createDynamicRegistrationRouter } from './lti/dynamic-registration.routes';
import { restrictFrameAncestors } from './lti/frame-ancestors';
import { createLtiGuard } from './lti/guard';
import { lti } from './lti/ltijs';
import { LTI_MOUNT } from './lti/provider';
import type { AppConfig } from './platform/config';
import { PROJECT_ROOT } from './platform/paths';
import { createErrorHandler, notFoundHandler } from './platform/error-handler';
import { refuseWhileDatabaseDown } from './platform/database-unavailable';
import { createHealthRouter } from './platform/health.routes';
import type { Logger } from './platform/logger';
import type { Mailer } from './platform/mailer';
import { inputHygiene, refuseUnreadBodies } from './platform/input-hygiene';
import { rejectOperatorKeys } from './platform/operator-keys';
import { installViews } from './platform/views';
import { createSandboxRouter } from './sandbox/sandbox.routes';
import { createAccessRouter } from './access/access.routes';
import { redactUrlTokens } from './platform/redact';

export function redactLtik(url: string): string {
  return url.replace(/([?&]ltik=)[^&#]*/g, '$1[redacted]');
}

export interface AppDeps {
  config: AppConfig;
  logger: Logger;
  /** Read by the health endpoint; flipped by the listener on shutdown. */
  lifecycle: { isShuttingDown: boolean; startedAt: Date; version: string };
  /** Created once at startup (bootstrap.ts); routes that send mail receive it. */
  mailer: Mailer;
}

/**
 * Builds the Express app. ltijs must already be set up (setupLti); the listener
 * (server.ts) and the test harness both call this.
 */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer / TLS terminator: trust the first proxy for protocol and client IP.
  app.set('trust proxy', 1);
  installViews(app, { cache: config.viewCache ?? config.env === 'production' });

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // The ltik travels in the query string after a launch; it must never reach the logs.
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: redactUrlTokens(redactLtik(req.url)) }),
      },
      autoLogging: { ignore: (req) => req.url === '/health' || (req.url ?? '').startsWith('/static/') },
      // 503: refused on purpose (database down, shutting down); the cause is logged once, not per request.
      customLogLevel: (_req, res, err) => (res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    }),
  );

  const insecureSchemes = config.env === 'production' ? [] : ['http:'];
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          // Pages are shown inside LMS iframes and hand forms back to the LMS (deep linking).
          'frame-ancestors': ["'self'", 'https:', ...insecureSchemes],
          'form-action': ["'self'", 'https:', ...insecureSchemes],
          // The Sandbox launch page may be opened on another host name than PUBLIC_URL (browser tests).
          'frame-src': ["'self'", new URL(config.publicUrl).origin],
          'upgrade-insecure-requests': config.env === 'production' ? [] : null,
        },
      },
      frameguard: false,
      crossOriginOpenerPolicy: false,
      strictTransportSecurity: config.env === 'production',
    }),
  );
  // Flat forms (extended: false); more than 1,000 fields is refused with 413 (error-handler.ts).
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 1000 }));
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.use(inputHygiene);
  app.use(rejectOperatorKeys);

  app.use('/static/vendor/bootstrap', express.static(path.join(PROJECT_ROOT, 'node_modules', 'bootstrap', 'dist'), { maxAge: '1d' }));
  app.use(
    '/static',
    express.static(path.join(PROJECT_ROOT, 'public'), {
      maxAge: config.env === 'production' ? '1h' : 0,
      // The tool icon sent at registration is shown by the LMS on its own pages (Moodle's tool card,
      // activity chooser, course page, gradebook): helmet's same-origin resource policy breaks it there.
      setHeaders: (res, file) => {
        if (file.startsWith(path.join(PROJECT_ROOT, 'public', 'lti') + path.sep)) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      },
    }),
  );

  app.use(createHealthRouter(() => deps.lifecycle));
  // Everything below needs the database: while it is known to be down, a quick 503 with Retry-After.
  app.use(refuseWhileDatabaseDown);

  if (config.sandbox.enabled) {
    app.use('/sandbox', createSandboxRouter({ config, logger }));
  }

  app.use(`${LTI_MOUNT}/register`, createDynamicRegistrationRouter({ config, logger }));
  // ltijs would parse other body types again (input-hygiene.ts); only what we read goes on.
  app.use(LTI_MOUNT, refuseUnreadBodies);
  // Pages under /lti may only be framed by registered platforms (and LTI_FRAME_ANCESTORS).
  app.use(LTI_MOUNT, restrictFrameAncestors({ config, logger }));
  // Our own login/launch validation runs first; ltijs only sees requests it passed.
  app.use(LTI_MOUNT, createLtiGuard({ config, logger }));
  // ltijs checks the session (ltik + cookie) and hands what it does not answer on to our routes.
  app.use(LTI_MOUNT, lti.app);
  const kindDeps = { config, logger, mailer: deps.mailer };
  app.use(LTI_MOUNT, createLtiRouter(kindDeps));

  app.get('/', (_req, res) => {
    if (config.sandbox.enabled) return res.redirect('/sandbox');
    res.render('home', { title: 'Fieldbook', publicUrl: config.publicUrl });
  });

  app.use('/access', createAccessRouter({ config, logger, screens: externalActivityRouters(kindDeps) }));
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger, config.env === 'production'));
  return app;
}
