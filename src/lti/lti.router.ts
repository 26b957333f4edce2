/**
 * Every Fieldbook route under /lti that needs an LTI session, built per app: launch and deep
 * linking, faculty grading, and each registered activity kind's routes. Mounted after ltijs's
 * session check (app.ts), which sets res.locals.token or answers 401 itself.
 */
import { Router } from 'express';
import type { KindDeps } from '../activities/activity-kind';
import { createExternalHome } from '../activities/external-home';
import { ACTIVITY_KINDS } from '../activities/registry';
import { createGradingRouter } from '../grading/grading.routes';
import { createLaunchRouter } from './launch.routes';

export function createLtiRouter(deps: KindDeps): Router {
  const router = Router();
  router.use(createLaunchRouter(deps));
  router.use(createGradingRouter(deps));
  for (const kind of ACTIVITY_KINDS) if (kind.routes) router.use(kind.routes(deps));
  return router;
}

/**
 * The screens for people acting from an emailed link, mounted in the /access router: the home page
 * built from every kind's part, then each kind's own routes (which answer with that home page).
 */
export function externalActivityRouters(deps: KindDeps): Router[] {
  const { router, home } = createExternalHome(ACTIVITY_KINDS);
  return [router, ...ACTIVITY_KINDS.flatMap((kind) => (kind.externalRoutes ? [kind.externalRoutes({ ...deps, home })] : []))];
}
