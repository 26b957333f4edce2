import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ACTIVITY_TYPES, ActivityModel, type ActivityType } from '../activities/activity.model';
import { kickGradeSender, sendGradeNow } from '../grading/grade-sender';
import { presentGradeOutcome, presentGradeSyncRow, statusForOutcome } from '../grading/grade-sync.presenter';
import { getGradeSync, listGradeSync, retryGradeSync } from '../grading/outbox.service';
import { describePlatformError, fetchRoster, findRosterMember, sendScoreNow } from '../grading/score.service';
import type { AppConfig } from '../platform/config';
import { AppError, badRequest, notFound } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { parseForm } from '../platform/validate';
import { callerFromToken, ltikOf, requireCaller, requireRole, type Caller } from './caller';
import { presentLaunch, presentRoster, TEST_USER_ROLE } from './launch.presenter';
import { lti, type LtiIdToken, type NrpsMember } from './ltijs';
import { recordLaunchUser } from './lti-user.model';
import { presentPracticumPicker } from '../practicum/practicum-picker';
import { practicumSectionFor } from '../practicum/practicum.routes';
import { practicumSettingsFormSchema, settingsFromForm } from '../practicum/practicum-settings';
import { RoleClaimError } from './roles';

type AsyncHandler = (req: Request, res: Response, next: NextFunction) => Promise<unknown>;
const wrap = (fn: AsyncHandler) => (req: Request, res: Response, next: NextFunction) => fn(req, res, next).catch(next);

const deepLinkSchema = z.object({
  activityType: z.enum(Object.keys(ACTIVITY_TYPES) as [ActivityType, ...ActivityType[]], { errorMap: () => ({ message: 'Choose an activity type.' }) }),
  title: z.string().trim().min(1, 'Give the activity a title.').max(200, 'Keep the title under 200 characters.'),
  pointsPossible: z.coerce.number({ invalid_type_error: 'Points must be a number.' }).min(0, 'Points cannot be negative.').max(10000, 'At most 10,000 points.'),
});

const scoreSchema = z.object({
  userId: z.string().min(1).max(255),
  scoreGiven: z.coerce.number({ invalid_type_error: 'Enter a number of points.' }).min(0, 'Points cannot be negative.'),
  comment: z.string().trim().max(2000, 'Keep the comment under 2,000 characters.').optional().default(''),
});

const retrySchema = z.object({ userSub: z.string().min(1, 'Choose whose grade to retry.').max(255) });

/**
 * The grade outbox key of a launch: the Fieldbook activity, else the platform's resource link
 * (scoped by platform, since resource link ids are only unique per platform).
 */
function gradeKeyFor(caller: Caller, activity: { _id: unknown } | null): string | null {
  if (activity) return String(activity._id);
  return caller.resourceLinkId ? `link:${caller.iss}|${caller.clientId}|${caller.resourceLinkId}` : null;
}

/** Finds the activity a launch refers to, only within the caller's platform and course. */
async function findActivityForLaunch(caller: Caller) {
  const id = typeof caller.custom.activity_id === 'string' ? caller.custom.activity_id : null;
  if (!id || !/^[a-f0-9]{24}$/.test(id)) return null;
  const activity = await ActivityModel.findOne({ _id: id, iss: caller.iss, clientId: caller.clientId }).lean();
  if (!activity) return null;
  if (caller.resourceLinkId && !activity.resourceLinkIds.includes(caller.resourceLinkId)) {
    await ActivityModel.updateOne({ _id: activity._id }, { $addToSet: { resourceLinkIds: caller.resourceLinkId } });
  }
  return activity;
}

async function renderLaunch(res: Response, token: LtiIdToken, extra: Record<string, unknown> = {}, knownMembers?: NrpsMember[]): Promise<void> {
  const caller = callerFromToken(token);
  const activity = await findActivityForLaunch(caller);
  let roster = null;
  let rosterError: string | null = null;
  let gradeSync = null;
  if (caller.roles.includes('faculty')) {
    const key = gradeKeyFor(caller, activity);
    if (key) gradeSync = (await listGradeSync(key)).map(presentGradeSyncRow);
    try {
      // A grading request has just read the roster; do not page through it twice.
      roster = presentRoster(knownMembers ?? (await fetchRoster(token)));
    } catch (err) {
      rosterError = describePlatformError(err).reason;
    }
  }
  const practicum = await practicumSectionFor(caller, activity, res.locals.ltik as string);
  res.render('lti/launch', { ...presentLaunch(caller, activity), roster, rosterError, gradeSync, practicum, ltik: res.locals.ltik, ...extra });
}

/** Registers Fieldbook's launch, deep-linking and first grading routes on the ltijs app. */
let isInstalled = false;

export function installLaunchRoutes(deps: { config: AppConfig; logger: Logger }): void {
  // ltijs is one shared Provider: its handlers and routes are installed once per process.
  if (isInstalled) return;
  isInstalled = true;
  const { config, logger } = deps;

  lti.onConnect(async (token, _req, res, next) => {
    try {
      const caller = callerFromToken(token);
      await recordLaunchUser({
        iss: caller.iss,
        sub: caller.sub,
        name: caller.name,
        email: caller.email,
        roles: caller.roles,
        primaryRole: caller.role,
        isTestUser: caller.isTestUser,
        lastLaunchAt: new Date(),
      });
      await renderLaunch(res, token);
    } catch (err) {
      next(err instanceof RoleClaimError ? badRequest('roles_claim_missing', err.message) : err);
    }
  });

  lti.onDeepLinking(async (token, _req, res, next) => {
    try {
      const caller = callerFromToken(token);
      requireRole(caller, ['faculty', 'designer', 'coordinator']);
      res.render('lti/deep-link', { title: 'Add a Fieldbook activity', ltik: res.locals.ltik, types: activityOptions(), values: { pointsPossible: 100 }, practicum: presentPracticumPicker(), errors: {} });
    } catch (err) {
      next(err instanceof RoleClaimError ? badRequest('roles_claim_missing', err.message) : err);
    }
  });

  const sessionError = (status: number, id: string, message: string) => (_req: Request, res: Response) => {
    res.status(status).render('error', { title: `Error ${status}`, status, error: id, message });
  };
  lti.onInvalidToken(sessionError(401, 'invalid_lti_launch', 'This launch could not be verified. Please open Fieldbook again from your course.'));
  lti.onSessionTimeout(sessionError(401, 'lti_session_expired', 'Your Fieldbook session has ended. Please open it again from your course.'));
  lti.onUnregisteredPlatform(sessionError(400, 'unregistered_platform', 'This learning platform is not registered with Fieldbook. Ask your LMS administrator to register it.'));
  lti.onInactivePlatform(sessionError(401, 'inactive_platform', 'This learning platform registration is not active yet.'));

  const router = express.Router();

  router.post(
    '/deep-link/submit',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['faculty', 'designer', 'coordinator']);
      const token = res.locals.token as LtiIdToken;
      const settings = token.platformContext.deepLinkingSettings;
      if (token.platformContext.messageType !== 'LtiDeepLinkingRequest' || !settings?.deep_link_return_url) {
        throw badRequest('not_deep_linking', 'This session did not start from the LMS “add activity” flow.');
      }
      const parsed = parseForm(deepLinkSchema, req.body);
      // Practicum logs carry their rule settings; a failed form keeps every field typed.
      const practicum = req.body.activityType === 'practicum-log' ? parseForm(practicumSettingsFormSchema, req.body) : null;
      if (!parsed.ok || (practicum && !practicum.ok)) {
        const errors = { ...(parsed.ok ? {} : parsed.errors), ...(practicum && !practicum.ok ? practicum.errors : {}) };
        res.status(400).render('lti/deep-link', { title: 'Add a Fieldbook activity', ltik: ltikOf(req, res), types: activityOptions(req.body.activityType), values: req.body, practicum: presentPracticumPicker(req.body), errors });
        return;
      }
      const { activityType, title, pointsPossible } = parsed.value;
      const activity = await ActivityModel.create({
        iss: caller.iss,
        clientId: caller.clientId,
        deploymentId: caller.deploymentId,
        contextId: caller.contextId,
        contextTitle: caller.contextTitle,
        type: activityType,
        title,
        pointsPossible,
        createdBy: caller.sub,
        settings: practicum?.ok ? settingsFromForm(practicum.value) : null,
      });
      const jwt = await lti.DeepLinking.createDeepLinkingMessage(
        token,
        [
          {
            type: 'ltiResourceLink',
            title,
            text: ACTIVITY_TYPES[activityType],
            url: `${config.publicUrl}/lti/launch`,
            custom: { activity_id: String(activity._id), activity_type: activityType },
            lineItem: { scoreMaximum: pointsPossible, label: title, resourceId: String(activity._id), tag: activityType },
          },
        ],
        { message: `Added ${title}` },
      );
      logger.info({ activity: String(activity._id), type: activityType }, 'activity placed by deep linking');
      res.render('lti/deep-link-return', { title: 'Returning to your course', returnUrl: settings.deep_link_return_url, jwt, activityTitle: title, scripts: ['/static/js/autosubmit.js'] });
    }),
  );

  router.post(
    '/scores',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['faculty']);
      const token = res.locals.token as LtiIdToken;
      const activity = await findActivityForLaunch(caller);
      const parsed = parseForm(scoreSchema, req.body);
      if (!parsed.ok) {
        res.status(400);
        await renderLaunch(res, token, { scoreErrors: parsed.errors, scoreValues: req.body });
        return;
      }
      const { member, roster } = await findRosterMember(token, parsed.value.userId);
      if (!member) throw notFound('member_not_found', 'That person is not a member of this course.');
      const scoreMaximum = activity?.pointsPossible ?? 100;
      if (parsed.value.scoreGiven > scoreMaximum) {
        res.status(400);
        await renderLaunch(res, token, { scoreErrors: { scoreGiven: `At most ${scoreMaximum} points.` }, scoreValues: req.body }, roster);
        return;
      }
      const key = gradeKeyFor(caller, activity);
      if (!key) throw badRequest('no_resource_link', 'This launch names no activity or resource link to grade.');
      const name = member.name || [member.given_name, member.family_name].filter(Boolean).join(' ') || member.user_id;
      let sync;
      try {
        ({ sync } = await sendScoreNow(token, {
          ...parsed.value,
          activityId: key,
          userName: name,
          isTestUser: member.roles.some((r) => TEST_USER_ROLE.test(r)),
          scoreMaximum,
          label: activity?.title ?? (caller.resourceTitle || 'Fieldbook'),
        }));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        res.status(err.status);
        await renderLaunch(res, token, { scoreOutcome: { tone: 'danger', testId: 'score-failed', text: `The grade for ${name} could not be recorded: ${err.message}` }, scoreValues: req.body }, roster);
        return;
      }
      logger.info({ iss: caller.iss, context: caller.contextId, state: sync?.state }, 'grade recorded');
      if (!sync) throw notFound('grade_sync_not_found', 'The grade could not be found after recording it.');
      res.status(statusForOutcome(sync.state));
      await renderLaunch(res, token, { scoreOutcome: presentGradeOutcome(sync) }, roster);
    }),
  );

  router.post(
    '/grades/retry',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['faculty']);
      const token = res.locals.token as LtiIdToken;
      const parsed = parseForm(retrySchema, req.body);
      if (!parsed.ok) throw badRequest('invalid_retry', parsed.errors.userSub ?? 'Choose whose grade to retry.');
      const key = gradeKeyFor(caller, await findActivityForLaunch(caller));
      if (!key) throw badRequest('no_resource_link', 'This launch names no activity or resource link to grade.');
      await retryGradeSync(key, parsed.value.userSub);
      if ((await sendGradeNow(key, parsed.value.userSub)) === null) kickGradeSender();
      const sync = await getGradeSync(key, parsed.value.userSub);
      if (!sync) throw notFound('grade_sync_not_found', 'There is no grade for this person in this activity.');
      logger.info({ iss: caller.iss, context: caller.contextId, state: sync.state }, 'grade retried by faculty');
      res.status(statusForOutcome(sync.state));
      await renderLaunch(res, token, { scoreOutcome: presentGradeOutcome(sync) });
    }),
  );

  lti.app.use(router);
}

function activityOptions(selected?: unknown) {
  return Object.entries(ACTIVITY_TYPES).map(([value, label]) => ({ value, label, selected: value === selected }));
}
