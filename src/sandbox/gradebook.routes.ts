import { Router } from 'express';
import { presentGradebook } from './gradebook.presenter';
import { OBJECT_ID_PATTERN } from './model.util';
import { notFound } from './sandbox.errors';

/** The course gradebook: what the tool's scores did (and did not) change. */
export function createGradebookRouter(): Router {
  const router = Router();
  router.get('/courses/:courseId/gradebook', async (req, res, next) => {
    try {
      if (!OBJECT_ID_PATTERN.test(req.params.courseId)) throw notFound('No such course in the Sandbox');
      const view = await presentGradebook(req.params.courseId);
      res.render('sandbox/gradebook', { title: `Gradebook — ${view.course.title}`, ...view });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
