/**
 * Mentorship check-ins' LTI routes (under /lti). Each goes through the activity pipeline
 * (activityRoute): caller → role gate → this course's check-in activity → validated input; the
 * handler applies the per-record policy through the service and answers with the launch page.
 */
import { Router, type Request, type Response } from 'express';
import type { ActivityRequest, KindDeps } from '../activities/activity-kind';
import { findKind } from '../activities/registry';
import { presentShell } from '../activities/shell.presenter';
import { activityRequestOf, activityRoute } from '../lti/activity-pipeline';
import { renderActivityPage } from '../lti/launch.page';
import { safeFileName, toCsv } from '../platform/csv';
import { AppError, badRequest, forbidden, notFound } from '../platform/errors';
import { nameCourseMentor } from '../courses/course-mentors.service';
import { mentorFormSchema } from '../courses/course-mentor.schemas';
import { longDate, parseForm } from '../platform/validate';
import { sendJsonError } from '../platform/json-error';
import { mailPlannedCheckIn } from './plan-mail';
import { sendDownload } from '../practicum/practicum-export.routes';
import { CheckInModel, type CheckIn } from './checkin.model';
import { checkInIcs } from './checkin.ics';
import { MENTORSHIP } from './mentorship-type';
import { readMentorshipSettings } from './mentorship-settings';
import { buildCandidateHistory, buildMentorshipPage, todayIso, type MentorshipPageOptions } from './mentorship.page';
import { actingRole, canReadCandidate, mentorshipView } from './mentorship.policy';
import { checkInFormSchema, goalFormSchema, mentorNotesSchema, parseRefs, returnSchema, reviewSchema } from './mentorship.schemas';
import { reviewCheckIns, saveCheckIn, saveGoal, saveMentorNotes, type FailureReason, type MentorshipContext, type ReviewResult } from './mentorship.service';

const EVERYONE = ['candidate', 'faculty', 'mentor', 'coordinator', 'designer'] as const;
const FAILURE_STATUS: Record<FailureReason, number> = { 'not-found': 404, forbidden: 403, 'wrong-status': 409, incomplete: 400, stale: 409 };
const OBJECT_ID = /^[a-f0-9]{24}$/;

async function render(res: Response, request: ActivityRequest, options: Partial<MentorshipPageOptions>, status = 200) {
  const model = await buildMentorshipPage(request.caller, request.activity, { ltik: request.ltik, today: todayIso(), ...options });
  await renderActivityPage(res, request, {}, undefined, { section: { partial: 'mentorship/panel', model }, status });
}

function contextFor(request: ActivityRequest, role: 'candidate' | 'mentor' | 'faculty'): MentorshipContext {
  const acting = actingRole(request.caller, request.activity);
  if (acting !== role) throw forbidden('mentorship_action_not_allowed', role === 'candidate' ? 'Only candidates keep check-ins.' : role === 'mentor' ? 'Only the candidate’s mentor can do this.' : 'Only faculty of this course can do this.');
  return { activity: request.activity, actor: { kind: 'lti', caller: request.caller }, role, today: todayIso() };
}

function reviewFlash(result: ReviewResult, word: string) {
  const n = (k: number) => `${k} check-in${k === 1 ? '' : 's'}`;
  const graded = result.graded.length ? ` The grade of ${result.graded.length === 1 ? 'this candidate' : `${result.graded.length} candidates`} was queued for the gradebook.` : '';
  if (!result.failed.length) return { tone: 'success' as const, text: `${n(result.done.length)} ${word}.${graded}` };
  return { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.${graded}` };
}

export function createMentorshipRouter(deps: KindDeps): Router {
  const router = Router();

  router.get(
    '/mentorship',
    activityRoute({ kind: MENTORSHIP, roles: [...EVERYONE] }, async (request, req, res) => {
      const id = (k: string) => (typeof req.query[k] === 'string' && OBJECT_ID.test(req.query[k] as string) ? (req.query[k] as string) : undefined);
      await render(res, request, { editId: id('edit'), goalId: id('goal') });
    }),
  );

  router.get(
    '/mentorship/candidates/:sub',
    activityRoute({ kind: MENTORSHIP, roles: [...EVERYONE] }, async (request, req, res) => {
      const { caller, activity, ltik } = request;
      if (!canReadCandidate({ kind: 'lti', caller }, activity, req.params.sub)) throw forbidden('mentorship_candidate_forbidden', 'You cannot see this candidate’s check-ins.');
      const page = await buildCandidateHistory(caller, activity, req.params.sub, todayIso());
      const aid = String(activity._id);
      const href = `/lti/mentorship?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
      const shell = presentShell({ caller, activity, kind: findKind(activity.type), sectionsHref: href, current: 'compliance' });
      res.render('mentorship/candidate-page', { title: `${page.name || 'Candidate'} — ${activity.title}`, shell, ltik, aid, back: `${href}#compliance`, ...page });
    }),
  );

  router.post(
    '/mentorship/checkins',
    activityRoute(
      {
        kind: MENTORSHIP,
        roles: ['candidate'],
        schema: checkInFormSchema,
        invalid: async (request, errors, req, res) => {
          contextFor(request, 'candidate');
          await render(res, request, { form: { values: req.body, errors }, flash: { tone: 'danger', text: 'Nothing was saved yet: fix the fields marked below.' } }, 400);
        },
      },
      async (request, req, res) => {
        const ctx = contextFor(request, 'candidate');
        const saved = await saveCheckIn(ctx, request.input);
        if (!saved.ok) {
          await render(res, request, { form: { values: req.body, errors: saved.errors }, flash: { tone: 'danger', text: 'Nothing was saved yet: fix the fields marked below.' } }, 400);
          return;
        }
        deps.logger.info({ activity: String(request.activity._id), status: saved.checkIn.status, replay: saved.isReplay }, 'mentorship check-in saved');
        // The emailed mentor hears of a planned meeting, its calendar file attached (once per date and time).
        const announced = saved.checkIn.status === 'planned' && !saved.isReplay ? await mailPlannedCheckIn(deps, request.activity, saved.checkIn).catch(() => ({ outcome: 'failed' as const, mentorName: null })) : null;
        const toMentor = !announced?.mentorName ? '' : announced.outcome === 'sent' || announced.outcome === 'already' ? ` ${announced.mentorName} was emailed the meeting with its calendar file.` : announced.outcome === 'failed' ? ` The email to ${announced.mentorName} could not be sent yet; Fieldbook tries again within the hour.` : '';
        const text = saved.isReplay
          ? 'This check-in was already saved; it was not added again.'
          : saved.checkIn.status === 'draft'
            ? 'Draft saved. Plan it or record it as held when you are ready.'
            : saved.checkIn.status === 'planned'
            ? `Check-in planned for ${longDate(saved.checkIn.date)}. You can add it to your calendar from the list below.${toMentor}`
            : `Check-in recorded as held.${readMentorshipSettings(request.activity.settings).requiresSignOff ? ' Your mentor can now sign it off.' : ''}${saved.graded ? ' Your grade was updated.' : ''}`;
        await render(res, request, { flash: { tone: 'success', text }, savedId: String(saved.checkIn._id) });
      },
    ),
  );

  /**
   * Autosave (public/js/practicum-autosave.js, shared with the practicum log): the check-in form
   * as JSON, kept as the candidate's draft. Always answers JSON; only drafts change (else 409).
   */
  router.post('/mentorship/checkins/autosave', async (req: Request, res: Response) => {
    try {
      const request = await activityRequestOf(req, res, ['candidate'], MENTORSHIP);
      const ctx = contextFor(request, 'candidate');
      if (!req.is('application/json') || !req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw badRequest('autosave_json_only', 'Send the check-in form as a JSON object.');
      const parsed = parseForm(checkInFormSchema, { ...(req.body as Record<string, unknown>), intent: 'draft' });
      if (!parsed.ok) throw badRequest('invalid_form', 'The draft was not saved: some fields are malformed.', parsed.errors);
      const saved = await saveCheckIn(ctx, parsed.value, { draftsOnly: true });
      if (!saved.ok) throw badRequest('invalid_form', Object.values(saved.errors).join(' '), saved.errors);
      res.json({ id: String(saved.checkIn._id), version: saved.checkIn.version, savedAt: new Date().toISOString() });
    } catch (err) {
      sendJsonError(res, req, err, deps.logger, 'mentorship autosave failed', 'The draft could not be saved.');
    }
  });

  router.post(
    '/mentorship/goals',
    activityRoute(
      {
        kind: MENTORSHIP,
        roles: ['candidate'],
        schema: goalFormSchema,
        invalid: async (request, errors, req, res) => {
          contextFor(request, 'candidate');
          await render(res, request, { goalForm: { values: req.body, errors }, flash: { tone: 'danger', text: 'The goal was not saved: fix the fields marked below.' } }, 400);
        },
      },
      async (request, _req, res) => {
        const goal = await saveGoal(contextFor(request, 'candidate'), request.input);
        await render(res, request, { flash: { tone: 'success', text: `Goal “${goal.title}” saved.` } });
      },
    ),
  );

  router.post(
    '/mentorship/review',
    activityRoute({ kind: MENTORSHIP, roles: ['mentor'] }, async (request, req, res) => {
      const ctx = contextFor(request, 'mentor');
      const body = req.body as Record<string, unknown>;
      const parsed = parseForm(reviewSchema, { checkIns: body.one ? [body.one] : body.checkIns, intent: body.intent, comment: body.comment });
      if (!parsed.ok) {
        const selected = Array.isArray(body.checkIns) ? (body.checkIns as string[]) : typeof body.checkIns === 'string' ? [body.checkIns] : [];
        await render(res, request, { review: { comment: typeof body.comment === 'string' ? body.comment : '', selected, errors: parsed.errors }, flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
        return;
      }
      const result = await reviewCheckIns(ctx, parsed.value.intent, parseRefs(parsed.value.checkIns), parsed.value.comment);
      deps.logger.info({ activity: String(request.activity._id), intent: parsed.value.intent, done: result.done.length, failed: result.failed.length }, 'mentorship check-ins reviewed');
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(res, request, { flash: reviewFlash(result, parsed.value.intent === 'sign-off' ? 'signed off' : 'sent back for changes'), failures: result.failed.map((f) => f.message) }, status);
    }),
  );

  router.post(
    '/mentorship/notes',
    activityRoute({ kind: MENTORSHIP, roles: ['mentor'], schema: mentorNotesSchema, invalid: async (request, errors, _req, res) => render(res, request, { flash: { tone: 'danger', text: Object.values(errors).join(' ') } }, 400) }, async (request, _req, res) => {
      const ctx = contextFor(request, 'mentor');
      const input = request.input as Record<string, string | undefined>;
      const [ref] = parseRefs([input.checkIn!]);
      const items = [0, 1, 2].filter((i) => input[`item_${i}_text`]).map((i) => ({ text: input[`item_${i}_text`]!, owner: (input[`item_${i}_owner`] as 'candidate' | 'mentor') ?? 'mentor', due: input[`item_${i}_due`] ?? null }));
      await saveMentorNotes(ctx, ref, input.mentorNotes ?? '', items);
      await render(res, request, { flash: { tone: 'success', text: 'Your notes were saved.' } });
    }),
  );

  router.post(
    '/mentorship/return',
    activityRoute({ kind: MENTORSHIP, roles: ['faculty'] }, async (request, req, res) => {
      const ctx = contextFor(request, 'faculty');
      const body = req.body as Record<string, unknown>;
      const parsed = parseForm(returnSchema, { checkIns: body.checkIns, comment: body.comment });
      if (!parsed.ok) {
        await render(res, request, { flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
        return;
      }
      const result = await reviewCheckIns(ctx, 'return', parseRefs(parsed.value.checkIns), parsed.value.comment);
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(res, request, { flash: reviewFlash(result, 'returned to the candidate'), failures: result.failed.map((f) => f.message) }, status);
    }),
  );

  /** The candidate names (or renames) their course mentor, who gets an emailed link (shared by every activity of the course). */
  router.post(
    '/mentorship/mentor',
    activityRoute({ kind: MENTORSHIP, roles: ['candidate'] }, async (request, req, res) => {
      const { caller, activity } = request;
      contextFor(request, 'candidate');
      const parsed = parseForm(mentorFormSchema, req.body);
      if (!parsed.ok) {
        await render(res, request, { mentorForm: { values: req.body as Record<string, unknown>, errors: parsed.errors }, flash: { tone: 'danger', text: 'The mentor was not saved: fix the fields marked below.' } }, 400);
        return;
      }
      try {
        await nameCourseMentor(deps, {
          course: { iss: activity.iss, clientId: activity.clientId, contextId: activity.contextId ?? null, title: caller.contextTitle || activity.contextTitle || '' },
          activity: { id: String(activity._id), title: activity.title },
          candidate: { sub: caller.sub, name: caller.name },
          mentor: { name: parsed.value.mentorName, email: parsed.value.mentorEmail },
          actor: { sub: caller.sub, name: caller.name, role: 'candidate' },
        });
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 429) throw err;
        // At a sending limit: the page again with what was typed, so nothing is lost when it lifts.
        if (typeof err.details?.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
        await render(res, request, { mentorForm: { values: req.body as Record<string, unknown>, errors: {} }, flash: { tone: 'danger', text: err.message } }, 429);
        return;
      }
      await render(res, request, { flash: { tone: 'success', text: `${parsed.value.mentorName} was invited by email to see and sign off your check-ins.` } });
    }),
  );

  /** A planned check-in as a calendar file: the candidate's own, or a mentee's for their mentor. */
  router.get(
    '/mentorship/checkins/:id/calendar.ics',
    activityRoute({ kind: MENTORSHIP, roles: [...EVERYONE] }, async ({ caller, activity }, req, res) => {
      const checkIn = OBJECT_ID.test(req.params.id) ? await CheckInModel.findOne({ _id: req.params.id }).lean<CheckIn>() : null;
      if (!checkIn || String(checkIn.activityId) !== String(activity._id) || !canReadCandidate({ kind: 'lti', caller }, activity, checkIn.candidateSub)) {
        throw notFound('mentorship_checkin_not_found', 'That check-in does not exist or is not yours to see.');
      }
      sendDownload(res, checkInIcs(checkIn, { title: activity.title }), 'text/calendar; charset=utf-8', safeFileName(`check-in-${checkIn.date}`, '.ics'));
    }),
  );

  router.get(
    '/mentorship/export.csv',
    activityRoute({ kind: MENTORSHIP, roles: ['faculty', 'coordinator'] }, async (request, _req, res) => {
      const view = mentorshipView(request.caller, request.activity);
      if (view !== 'faculty' && view !== 'coordinator') throw forbidden('mentorship_export_forbidden', 'Only faculty and coordinators of this course can export its check-ins.');
      const page = await buildMentorshipPage(request.caller, request.activity, { ltik: request.ltik, today: todayIso() });
      const rows = 'rows' in page ? page.rows : [];
      const csv = toCsv(
        ['Candidate', 'Mentor', 'Held', 'Signed off', 'Required so far', 'Required for the term', 'Last check-in', 'Next due', 'Overdue', 'Open action items', 'Overdue action items', 'Pulse flag'],
        rows.map((r) => [r.name, r.mentor ?? '', r.compliance.held, r.compliance.signedOff, r.compliance.requiredSoFar, r.compliance.requiredForTerm, r.compliance.lastHeld ?? '', r.compliance.nextDue ?? '', r.compliance.isOverdue ? 'yes' : 'no', r.compliance.openItems, r.compliance.overdueItems, r.compliance.hasPulseFlag ? 'yes' : 'no']),
      );
      sendDownload(res, csv, 'text/csv; charset=utf-8', safeFileName(`${request.activity.title}-check-ins-${todayIso()}`, '.csv'));
    }),
  );

  return router;
}
