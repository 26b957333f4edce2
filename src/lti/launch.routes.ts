/**
 * Launch, course copy and deep-linking routes. ltijs validates the session and hands every launch
 * on (provider.ts: onConnect / onDeepLinking call next()), so these routes belong to each app built
 * by createApp — no route is installed on the shared ltijs Provider.
 */
import { randomBytes } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { KindDeps } from '../activities/activity-kind';
import type { Activity } from '../activities/activity.model';
import { createCourseCopy, learnFromLaunch, placeActivity, resolveActivity } from '../activities/activity.service';
import { presentCourseHome } from '../activities/course-home';
import { ACTIVITY_KINDS, findKind } from '../activities/registry';
import { releaseGradesWaitingForLineItem } from '../grading/activity-grade';
import { wrap } from '../platform/async-handler';
import { badRequest, conflict, unauthorized } from '../platform/errors';
import { formNumber, parseForm, typedText, type FieldErrors } from '../platform/validate';
import { activityRoute } from './activity-pipeline';
import { callerFromToken, ltikOf, requireCaller, requireRole, type Caller } from './caller';
import { renderActivityPage } from './launch.page';
import { presentShell } from '../activities/shell.presenter';
import { presentLaunch } from './launch.presenter';
import { lti, type DeepLinkingContentItem, type LtiIdToken } from './ltijs';
import { recordLaunchUser } from './lti-user.model';
import { recordLaunchMembership, syncCourseRoster } from '../courses/course-membership.service';
import type { FieldbookRole } from './roles';

const EVERYONE: FieldbookRole[] = ['candidate', 'faculty', 'mentor', 'coordinator', 'designer'];
const PLACERS: FieldbookRole[] = ['faculty', 'designer', 'coordinator'];

/** The picker's one-time form token (what makes "Add to course" idempotent). */
const FORM_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
const STALE_FORM = 'This form is missing its one-time token (it may come from an older page), so nothing was added. Check the fields and choose “Add to course” again.';

const deepLinkSchema = z.object({
  formToken: z.string({ required_error: STALE_FORM, invalid_type_error: STALE_FORM }).regex(FORM_TOKEN, STALE_FORM),
  activityType: z.string({ required_error: 'Choose an activity type.' }).refine((t) => Boolean(findKind(t)), 'Choose an activity type.'),
  title: z.string({ required_error: 'Give the activity a title.' }).trim().min(1, 'Give the activity a title.').max(200, 'Keep the title under 200 characters.'),
  pointsPossible: formNumber({ required: 'Enter the points possible (0 for an ungraded activity).', invalid: 'Points must be a number.' }).pipe(
    z.number().min(0, 'Points cannot be negative.').max(10000, 'At most 10,000 points.'),
  ),
});

/** The picker with what was typed kept; `values` may be the request body as posted (text only is shown). */
function pickerModel(ltik: string, values: Record<string, unknown>, errors: FieldErrors) {
  return {
    title: 'Add a Fieldbook activity',
    scripts: ['/static/js/picker-kinds.js'],
    ltik,
    // A form re-rendered with errors keeps its token: nothing was placed under it yet.
    formToken: FORM_TOKEN.test(typedText(values.formToken)) ? typedText(values.formToken) : randomBytes(16).toString('base64url'),
    values: { title: typedText(values.title), pointsPossible: typedText(values.pointsPossible) },
    errors,
    kinds: ACTIVITY_KINDS.map((k) => ({
      type: k.type,
      label: k.label,
      description: k.description,
      selected: values.activityType === k.type || (ACTIVITY_KINDS.length === 1 && !values.activityType),
      partial: k.settings.partial,
      settings: k.settings.present(values),
    })),
  };
}

/** The deep-linking content item for an activity: always what is stored, also for a form sent again. */
function contentItem(activity: Activity, publicUrl: string): DeepLinkingContentItem {
  const id = String(activity._id);
  const item: DeepLinkingContentItem = {
    type: 'ltiResourceLink',
    title: activity.title,
    text: findKind(activity.type)?.label ?? activity.type,
    url: `${publicUrl}/lti/launch`,
    custom: { activity_id: id, activity_type: activity.type },
  };
  // Moodle gives deep-linked content a gradebook column only when the item carries a lineItem.
  if (activity.isGraded) item.lineItem = { scoreMaximum: activity.pointsPossible, label: activity.title, resourceId: id, tag: activity.type };
  return item;
}

/** A course launch without an activity: the course's activities, with what awaits the caller in each. */
async function renderCourseHome(res: Response, caller: Caller, ltik: string) {
  const items = await presentCourseHome(caller);
  res.render('lti/launch', {
    ...presentLaunch(caller, null),
    shell: presentShell({ caller, activity: null }),
    ltik,
    section: { partial: 'activities/course-home', model: { ltik, hasContext: Boolean(caller.contextId), activities: items } },
  });
}

/**
 * The course roster, read from the LMS on a faculty launch (at most every few minutes per course),
 * so lists include candidates who never launched. A slow or failing roster never holds up or
 * breaks the launch: after ROSTER_WAIT_MS the page is shown and the read finishes on its own.
 */
const ROSTER_WAIT_MS = 3_000;
async function refreshRosterQuietly(token: LtiIdToken, caller: Caller, logger: KindDeps['logger']): Promise<void> {
  const sync = syncCourseRoster(token, caller).catch((err: unknown) => {
    logger.warn({ err: { message: (err as Error)?.message }, context: caller.contextId }, 'course roster could not be read');
    return null;
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([sync, new Promise((resolve) => (timer = setTimeout(resolve, ROSTER_WAIT_MS)))]);
  clearTimeout(timer);
}

export function createLaunchRouter(deps: KindDeps): Router {
  const { config, logger } = deps;
  const router = Router();

  router.all(
    '/launch',
    wrap(async (req, res) => {
      const token = res.locals.token as LtiIdToken | undefined;
      if (!token) throw unauthorized('no_lti_session', 'Your session has ended. Please open Fieldbook again from your course.');
      const caller = callerFromToken(token);
      const ltik = ltikOf(req, res);
      if (caller.messageType === 'LtiDeepLinkingRequest') {
        requireRole(caller, PLACERS);
        res.render('lti/deep-link', pickerModel(ltik, { pointsPossible: 100 }, {}));
        return;
      }
      await recordLaunchUser({ iss: caller.iss, sub: caller.sub, name: caller.name, email: caller.email, roles: caller.roles, primaryRole: caller.role, isTestUser: caller.isTestUser, lastLaunchAt: new Date() });
      await recordLaunchMembership(caller);
      if (caller.roles.includes('faculty')) await refreshRosterQuietly(token, caller, logger);
      const resolved = await resolveActivity(caller, null);
      if (resolved.state === 'found') {
        const learned = resolved.fromPlacement ? await learnFromLaunch(resolved.activity, caller, token) : null;
        if (learned) await releaseGradesWaitingForLineItem(String(resolved.activity._id), learned);
        await renderActivityPage(res, { caller, token, ltik, activity: resolved.activity });
        return;
      }
      if (resolved.state === 'copy-pending') {
        const canSetUp = caller.roles.includes('faculty') || caller.roles.includes('designer');
        const kind = findKind(resolved.original.type);
        res.render(canSetUp ? 'lti/course-copy' : 'lti/not-set-up', {
          title: resolved.original.title,
          ltik,
          course: caller.contextTitle,
          kindLabel: kind?.label ?? resolved.original.type,
          pointsPossible: resolved.original.pointsPossible,
          settings: kind?.settings.describe(resolved.original.settings) ?? [],
        });
        return;
      }
      if (resolved.named) {
        res.status(404).render('error', { title: 'Activity not found', status: 404, error: 'activity_not_found', message: 'This activity no longer exists in Fieldbook for this course. Ask your instructor to add it again.' });
        return;
      }
      await renderCourseHome(res, caller, ltik);
    }),
  );

  /** An activity opened from the course home (its id in `aid`, always within the caller's course). */
  router.get(
    '/activity',
    activityRoute({ roles: EVERYONE }, (request, _req, res) => renderActivityPage(res, request)),
  );

  router.post(
    '/activity/copy',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['faculty', 'designer']);
      const resolved = await resolveActivity(caller, null);
      if (resolved.state === 'found') return res.redirect(303, `/lti/launch?ltik=${encodeURIComponent(ltikOf(req, res))}`);
      if (resolved.state !== 'copy-pending') throw conflict('activity_not_copied', 'This placement is not a copy of an activity from another course.');
      const copy = await createCourseCopy(caller, resolved.original);
      logger.info({ activity: String(copy._id), original: String(resolved.original._id) }, 'activity set up for a copied course');
      res.redirect(303, `/lti/launch?ltik=${encodeURIComponent(ltikOf(req, res))}`);
    }),
  );

  /** Faculty: read the course roster from the LMS now (new candidates appear in every list). */
  router.post(
    '/course/roster',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['faculty']);
      const count = await syncCourseRoster(res.locals.token as LtiIdToken, caller, { force: true });
      logger.info({ context: caller.contextId, members: count }, 'course roster refreshed by faculty');
      const aid = typeof req.body?.aid === 'string' && /^[a-f0-9]{24}$/.test(req.body.aid) ? `&aid=${req.body.aid}` : '';
      res.redirect(303, `/lti/${aid ? 'activity' : 'launch'}?ltik=${encodeURIComponent(ltikOf(req, res))}${aid}`);
    }),
  );

  router.post(
    '/deep-link/submit',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, PLACERS);
      const token = res.locals.token as LtiIdToken;
      const settings = token.platformContext.deepLinkingSettings;
      if (token.platformContext.messageType !== 'LtiDeepLinkingRequest' || !settings?.deep_link_return_url) {
        throw badRequest('not_deep_linking', 'This session did not start from the LMS “add activity” flow.');
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const parsed = parseForm(deepLinkSchema, body);
      const kind = typeof body.activityType === 'string' ? findKind(body.activityType) : undefined;
      // The chosen kind's settings; a failed form keeps every field typed.
      const kindSettings = kind ? kind.settings.parse(body) : null;
      if (!parsed.ok || (kindSettings && !kindSettings.ok)) {
        const errors = { ...(parsed.ok ? {} : parsed.errors), ...(kindSettings && !kindSettings.ok ? kindSettings.errors : {}) };
        res.status(400).render('lti/deep-link', pickerModel(ltikOf(req, res), body, errors));
        return;
      }
      const { title, pointsPossible, formToken } = parsed.value;
      const placement = { type: kind!.type, title, pointsPossible, settings: kindSettings?.ok ? kindSettings.value : null };
      const { activity, isRepeat } = await placeActivity(caller, formToken, placement);
      const jwt = await lti.DeepLinking.createDeepLinkingMessage(token, [contentItem(activity, config.publicUrl)], { message: `Added ${activity.title}` });
      logger.info({ activity: String(activity._id), type: activity.type }, isRepeat ? 'picker form sent again: its activity answered, none added' : 'activity placed by deep linking');
      res.render('lti/deep-link-return', { title: 'Returning to your course', returnUrl: settings.deep_link_return_url, jwt, activityTitle: activity.title, scripts: ['/static/js/autosubmit.js'] });
    }),
  );

  return router;
}
