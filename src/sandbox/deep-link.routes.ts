import { Router } from 'express';
import { z } from 'zod';
import { acceptDeepLinkResponse } from './deep-link.service';
import { badRequest } from './sandbox.errors';
import type { SandboxDeps } from './sandbox.types';

const returnForm = z.object({ JWT: z.string().min(1).max(65536) });

/** Where the tool posts its LtiDeepLinkingResponse (inside the LMS iframe). */
export function createDeepLinkRouter({ config, logger }: SandboxDeps): Router {
  const router = Router();
  router.post('/deep-link-return', async (req, res, next) => {
    try {
      const form = returnForm.safeParse(req.body ?? {});
      if (!form.success) throw badRequest('The form field JWT is missing.');
      const outcome = await acceptDeepLinkResponse(config, form.data.JWT);
      logger.info({ course: outcome.course.id, items: outcome.created.length }, 'sandbox: deep-linking response accepted');
      res.render('sandbox/deep-link-result', {
        title: 'Sandbox LMS — content added',
        course: outcome.course,
        created: outcome.created.map(({ placement, lineItem }) => ({
          title: placement.title,
          url: placement.url || '(tool launch URL)',
          custom: Object.entries(placement.custom).map(([name, value]) => ({ name, value })),
          lineItem: lineItem ? { label: lineItem.label, scoreMaximum: lineItem.scoreMaximum, tag: lineItem.tag, resourceId: lineItem.resourceId } : null,
        })),
        nothingCreated: outcome.created.length === 0,
        msg: outcome.msg,
        errormsg: outcome.errormsg,
        log: outcome.log,
        errorlog: outcome.errorlog,
        gradebookUrl: `/sandbox/courses/${outcome.course.id}/gradebook`,
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
