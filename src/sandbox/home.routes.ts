import { Router } from 'express';
import { z } from 'zod';
import { listSandboxPlacements } from './course.service';
import { copySandboxCourse } from './course-copy.service';
import { presentHome } from './home.presenter';
import { prepareLaunch } from './launch.service';
import { OBJECT_ID_PATTERN } from './model.util';
import { shortRoleName } from './roles.service';
import { notFound } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import type { SandboxDeps } from './sandbox.types';

const launchParams = z.object({ placementId: z.string().regex(OBJECT_ID_PATTERN), personId: z.string().regex(OBJECT_ID_PATTERN) });
/**
 * ?storage=parent offers LTI platform storage answered by the launch page (lti_storage_target=_parent);
 * ?storage=forwarding offers it through a hidden frame on the platform's own origin, as Canvas does
 * (lti_storage_target=post_message_forwarding) — needed when the launch page is opened on another
 * host name than the auth endpoint. Without the flag: the cookie flow only.
 */
const launchQuery = z.object({ storage: z.enum(['parent', 'forwarding']).optional() });
const FORWARDING_FRAME = 'post_message_forwarding';

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
      const query = launchQuery.safeParse(req.query);
      const storageMode = query.success ? query.data.storage : undefined;
      const storageTarget = storageMode === 'parent' ? '_parent' : storageMode === 'forwarding' ? FORWARDING_FRAME : undefined;
      const launch = await prepareLaunch(config, params.data.personId, params.data.placementId, { storageTarget });
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
        storage: storageMode
          ? {
              toolOrigin: new URL(sandboxIdentity(config).toolLoginUrl).origin,
              frame: storageMode === 'forwarding' ? FORWARDING_FRAME : '',
              forwardingSrc: storageMode === 'forwarding' ? `${config.publicUrl}/sandbox/post-message-forwarding` : null,
            }
          : null,
        scripts: ['/static/sandbox/frame-resize.js', ...(storageMode ? ['/static/sandbox/platform-storage.js'] : [])],
        iframeTitle: `Fieldbook: ${launch.placement.title}`,
      });
    } catch (err) {
      next(err);
    }
  });

  // Course copy as an LMS does it (new links and columns, same custom parameters); see course-copy.service.ts.
  router.post('/courses/:courseId/copy', async (req, res, next) => {
    try {
      if (!OBJECT_ID_PATTERN.test(req.params.courseId)) throw notFound('No such course');
      const copy = await copySandboxCourse(req.params.courseId, { withTeachers: true });
      res.redirect(303, `/sandbox#course-${copy.id}`);
    } catch (err) {
      next(err);
    }
  });

  // The platform-storage frame of ?storage=forwarding, always on the platform's (auth endpoint) origin.
  router.get('/post-message-forwarding', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.render('sandbox/post-message-forwarding', {
      title: 'Sandbox LMS — platform storage',
      toolOrigin: new URL(sandboxIdentity(config).toolLoginUrl).origin,
      scripts: ['/static/sandbox/platform-storage.js'],
    });
  });

  return router;
}
