import express from 'express';
import { createAgsRouter } from './ags.routes';
import { createAuthRouter } from './auth.routes';
import { createDeepLinkRouter } from './deep-link.routes';
import { createSandboxDynRegRouter } from './dynreg.routes';
import { createGradebookRouter } from './gradebook.routes';
import { createHomeRouter } from './home.routes';
import { createMailRouter } from './mail.routes';
import { createNrpsRouter } from './nrps.routes';
import { sandboxErrorHandler } from './sandbox.errors';
import type { SandboxDeps } from './sandbox.types';
import { issueAccessToken } from './token.service';

export type { SandboxDeps } from './sandbox.types';

/** The Sandbox LMS, mounted by the app at /sandbox (development and tests only). */
export function createSandboxRouter(deps: SandboxDeps): express.Router {
  const router = express.Router();

  router.post('/token', async (req, res, next) => {
    try {
      res.set('Cache-Control', 'no-store');
      res.json(await issueAccessToken(deps.config, req.body));
    } catch (err) {
      next(err);
    }
  });

  router.use(createAuthRouter(deps));
  router.use(createAgsRouter(deps));
  router.use(createNrpsRouter(deps));
  router.use(createDeepLinkRouter(deps));
  router.use(createGradebookRouter());
  router.use(createMailRouter());
  router.use(createSandboxDynRegRouter(deps));
  router.use(createHomeRouter(deps));
  router.use(sandboxErrorHandler(deps.logger));
  return router;
}
