/**
 * Faculty's grading routes shared by every kind: a score sent by hand (only for activities whose
 * grade faculty decide — a computed grade has one authority, the kind) and Retry for a grade the
 * LMS refused or could not take.
 */
import { Router } from 'express';
import { z } from 'zod';
import { findKind } from '../activities/registry';
import { activityRoute } from '../lti/activity-pipeline';
import { TEST_USER_ROLE } from '../lti/launch.presenter';
import { renderActivityPage } from '../lti/launch.page';
import { AppError, conflict, notFound } from '../platform/errors';
import { formNumber } from '../platform/validate';
import type { Logger } from '../platform/logger';
import { kickGradeSender, sendGradeNow } from './grade-sender';
import { presentGradeOutcome, statusForOutcome } from './grade-sync.presenter';
import { getGradeSync, retryGradeSync } from './outbox.service';
import { findRosterMember, sendScoreNow } from './score.service';

const scoreSchema = z.object({
  userId: z.string({ required_error: 'Choose a candidate.' }).min(1, 'Choose a candidate.').max(255),
  // An empty field is a missing grade, never 0.
  scoreGiven: formNumber({ required: 'Enter the points.', invalid: 'Enter a number of points.' }).pipe(z.number().min(0, 'Points cannot be negative.')),
  comment: z.string().trim().max(2000, 'Keep the comment under 2,000 characters.').optional().default(''),
});

const retrySchema = z.object({ userSub: z.string({ required_error: 'Choose whose grade to retry.' }).min(1, 'Choose whose grade to retry.').max(255) });

export function createGradingRouter(deps: { logger: Logger }): Router {
  const router = Router();

  router.post(
    '/scores',
    activityRoute(
      {
        roles: ['faculty'],
        schema: scoreSchema,
        invalid: async (request, errors, req, res) => {
          res.status(400);
          await renderActivityPage(res, request, { scoreErrors: errors, scoreValues: req.body });
        },
      },
      async (request, req, res) => {
        const { activity, token, input } = request;
        if (findKind(activity.type)?.gradeAuthority(activity) !== 'faculty') {
          throw conflict('grade_computed', 'Fieldbook computes this activity’s grade from the candidate’s work; it cannot be sent by hand.');
        }
        if (!activity.isGraded) throw conflict('activity_not_graded', 'This activity has no gradebook column (0 points).');
        const { member, roster } = await findRosterMember(token, input.userId);
        if (!member) throw notFound('member_not_found', 'That person is not a member of this course.');
        if (input.scoreGiven > activity.pointsPossible) {
          res.status(400);
          await renderActivityPage(res, request, { scoreErrors: { scoreGiven: `At most ${activity.pointsPossible} points.` }, scoreValues: req.body }, roster);
          return;
        }
        const name = member.name || [member.given_name, member.family_name].filter(Boolean).join(' ') || member.user_id;
        let sync;
        try {
          sync = await sendScoreNow(activity, token, { userId: input.userId, userName: name, isTestUser: member.roles.some((r) => TEST_USER_ROLE.test(r)), scoreGiven: input.scoreGiven, comment: input.comment });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          res.status(err.status);
          await renderActivityPage(res, request, { scoreOutcome: { tone: 'danger', testId: 'score-failed', text: `The grade for ${name} could not be recorded: ${err.message}` }, scoreValues: req.body }, roster);
          return;
        }
        deps.logger.info({ activity: String(activity._id), state: sync?.state }, 'grade recorded');
        if (!sync) throw notFound('grade_sync_not_found', 'The grade could not be found after recording it.');
        res.status(statusForOutcome(sync.state));
        await renderActivityPage(res, request, { scoreOutcome: presentGradeOutcome(sync) }, roster);
      },
    ),
  );

  router.post(
    '/grades/retry',
    activityRoute({ roles: ['faculty'], schema: retrySchema }, async (request, _req, res) => {
      const key = String(request.activity._id);
      const { userSub } = request.input;
      await retryGradeSync(key, userSub);
      if ((await sendGradeNow(key, userSub)) === null) kickGradeSender();
      const sync = await getGradeSync(key, userSub);
      if (!sync) throw notFound('grade_sync_not_found', 'There is no grade for this person in this activity.');
      deps.logger.info({ activity: key, state: sync.state }, 'grade retried by faculty');
      res.status(statusForOutcome(sync.state));
      await renderActivityPage(res, request, { scoreOutcome: presentGradeOutcome(sync) });
    }),
  );

  return router;
}
