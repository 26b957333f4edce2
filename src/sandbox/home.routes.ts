import { Router } from 'express';
import { z } from 'zod';
import { listSandboxPlacements } from './course.service';
import { presentHome } from './home.presenter';
import { prepareLaunch } from './launch.service';
import { OBJECT_ID_PATTERN } from './model.util';
import { shortRoleName } from './roles.service';
import { notFound } from './sandbox.errors';
import type { SandboxDeps } from './sandbox.types';

const launchParams = z.object({ placementId: z.string().regex(OBJECT_ID_PATTERN), personId: z.string().regex(OBJECT_ID_PATTERN) });

/** The LMS pages: course list with launch buttons, and the launch frame holding the tool's iframe. */
export function createHomeRouter({ config }: SandboxDeps): Router {
  const router = Router();

  router.get('/', async (_req, res, next) => {
    try {
      res.render('sandbox/home', { title: 'Fieldbook Sandbox LMS', ...(await presentHome()) });
    } catch (err) {
      next(err);
    }
  });

  router.get('/launch/:placementId/:personId', async (req, res, next) => {
    try {
      const params = launchParams.safeParse(req.params);
      if (!params.success) throw notFound('No such launch');
      const launch = await prepareLaunch(config, params.data.personId, params.data.placementId);
      const courseNav = launch.course ? (await listSandboxPlacements(launch.course.id)).filter((p) => p.kind === 'course_navigation') : [];
      res.set('Cache-Control', 'no-store');
      res.render('sandbox/launch', {
        title: `${launch.placement.title} — Sandbox LMS`,
        placementTitle: launch.placement.title,
        course: launch.course,
        gradebookUrl: launch.course ? `/sandbox/courses/${launch.course.id}/gradebook` : null,
        courseNav: courseNav.map((p) => ({ title: p.title, url: `/sandbox/launch/${p.id}/${launch.person.id}`, isCurrent: p.id === launch.placement.id })),
        person: { name: launch.person.name, roles: launch.person.roles.map(shortRoleName).join(', ') },
        messageType: launch.messageType,
        iframeSrc: launch.loginUrl,
        iframeTitle: `Fieldbook: ${launch.placement.title}`,
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
