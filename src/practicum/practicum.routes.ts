import express, { type NextFunction, type Request, type Response } from 'express';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { kickGradeSender } from '../grading/grade-sender';
import { recordGradeChange } from '../grading/outbox.service';
import { ltikOf, requireCaller, requireRole, type Caller } from '../lti/caller';
import { lti, type LtiIdToken } from '../lti/ltijs';
import { findLtiUser } from '../lti/lti-user.model';
import type { AppConfig } from '../platform/config';
import { AppError, badRequest, conflict, forbidden, notFound } from '../platform/errors';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';
import { PracticumEntryModel } from './practicum-entry.model';
import { PracticumProgressModel } from './practicum-progress.model';
import { PracticumMentorModel } from './practicum-mentor.model';
import { nameMentor } from './practicum-mentors.service';
import { parseForm } from '../platform/validate';
import type { PracticumGradeChange } from './practicum-grade';
import { buildPracticumPage, loadEntryWithTrail, todayIso, type PageOptions } from './practicum.page';
import { actorRoleFor, viewFor } from './practicum.policy';
import { batchSchema, entryFormSchema, mentorFormSchema, mentorResendSchema, parseBatch, queueFilterSchema, returnSchema } from './practicum.schemas';
import { saveDraft, transitionEntries, type FailureReason, type PracticumContext } from './practicum.service';
import { ACTION_LABELS } from './practicum.transitions';

type AsyncHandler = (req: Request, res: Response, next: NextFunction) => Promise<unknown>;
const wrap = (fn: AsyncHandler) => (req: Request, res: Response, next: NextFunction) => fn(req, res, next).catch(next);
const OBJECT_ID = /^[a-f0-9]{24}$/;
/** A batch where nothing succeeded answers with its first failure's status. */
export const FAILURE_STATUS: Record<FailureReason, number> = { 'not-found': 404, forbidden: 403, 'wrong-status': 409, incomplete: 400, stale: 409 };

/** The practicum-log activity this session was launched for, within the caller's platform. */
export async function practicumActivityFor(caller: Caller): Promise<Activity> {
  const id = typeof caller.custom.activity_id === 'string' ? caller.custom.activity_id : '';
  const activity = OBJECT_ID.test(id) ? await ActivityModel.findOne({ _id: id, iss: caller.iss, clientId: caller.clientId, type: 'practicum-log' }).lean() : null;
  if (!activity) throw notFound('practicum_activity_not_found', 'This launch is not for a practicum log. Open it again from the activity in your course.');
  return activity as Activity;
}

/** The launch page's practicum section (null for other activity types). */
export async function practicumSectionFor(caller: Caller, activity: { type: string } | null, ltik: string) {
  if (!activity || activity.type !== 'practicum-log') return null;
  return buildPracticumPage(caller, activity as Activity, { ltik, today: todayIso() });
}

/** Queues a completion grade in the grade outbox, using the approving session's line item. */
function gradeRecorder(token: LtiIdToken, logger: Logger) {
  return async (change: PracticumGradeChange) => {
    const lineItemUrl = token.platformContext.endpoint?.lineitem;
    if (!lineItemUrl) {
      logger.warn({ activity: change.activityId }, 'completion grade not queued: the launch carries no AGS line item');
      return;
    }
    const user = await findLtiUser(change.iss, change.userId);
    await recordGradeChange({
      activityId: change.activityId,
      contextId: change.contextId,
      iss: change.iss,
      clientId: token.clientId,
      deploymentId: token.deploymentId,
      lineItemUrl,
      userSub: change.userId,
      userName: user?.name ?? undefined,
      scoreGiven: change.scoreGiven,
      scoreMaximum: change.scoreMaximum,
      activityProgress: change.activityProgress,
      gradingProgress: change.gradingProgress,
      comment: change.comment,
      isTestUser: user?.isTestUser ?? false,
    });
    kickGradeSender();
  };
}

let isInstalled = false;

/** Registers the practicum-log routes on the ltijs app (every request carries an ltik). */
export function installPracticumRoutes(deps: { config: AppConfig; logger: Logger; mailer: Mailer }): void {
  if (isInstalled) return;
  isInstalled = true;
  const { logger } = deps;
  const router = express.Router();

  async function render(req: Request, res: Response, caller: Caller, activity: Activity, options: Partial<PageOptions>, status = 200) {
    const practicum = await buildPracticumPage(caller, activity, { ltik: ltikOf(req, res), today: todayIso(), ...options });
    res.status(status).render('practicum/page', { title: activity.title, activityTitle: activity.title, practicum });
  }

  function contextFor(res: Response, caller: Caller, activity: Activity): PracticumContext {
    const role = actorRoleFor(caller, activity);
    if (!role) throw forbidden('practicum_not_allowed', 'Your role in this course does not let you change practicum entries.');
    return { activity, actor: { kind: 'lti', caller }, role, today: todayIso(), onGradeChange: gradeRecorder(res.locals.token as LtiIdToken, logger) };
  }

  router.get(
    '/practicum',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      const activity = await practicumActivityFor(caller);
      if (viewFor(caller, activity) === 'none') throw forbidden('practicum_not_allowed', 'Your role in this course does not give access to practicum logs.');
      const filter = parseForm(queueFilterSchema, req.query);
      if (!filter.ok) throw badRequest('invalid_filter', 'Choose a status and candidate from the lists.', filter.errors);
      const editEntryId = typeof req.query.edit === 'string' && OBJECT_ID.test(req.query.edit) ? req.query.edit : undefined;
      await render(req, res, caller, activity, { filter: filter.value, editEntryId });
    }),
  );

  router.get(
    '/practicum/entries/:id',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      const activity = await practicumActivityFor(caller);
      if (viewFor(caller, activity) === 'none') throw forbidden('practicum_not_allowed', 'Your role in this course does not give access to practicum logs.');
      const found = OBJECT_ID.test(req.params.id) ? await loadEntryWithTrail(caller, activity, req.params.id) : null;
      if (!found) throw notFound('practicum_entry_not_found', 'That entry does not exist or is not yours to see.');
      res.render('practicum/entry', { title: 'Practicum entry', activityTitle: activity.title, ltik: ltikOf(req, res), ...found });
    }),
  );

  router.post(
    '/practicum/entries',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['candidate']);
      const activity = await practicumActivityFor(caller);
      const ctx = contextFor(res, caller, activity);
      if (ctx.role !== 'candidate') throw forbidden('practicum_not_candidate', 'Only candidates log practicum hours.');
      const parsed = parseForm(entryFormSchema, req.body);
      if (!parsed.ok) {
        await render(req, res, caller, activity, { form: { values: req.body, errors: parsed.errors }, flash: { tone: 'danger', text: 'Nothing was saved yet: fix the fields marked below.' } }, 400);
        return;
      }
      const entry = await saveDraft(ctx, parsed.value);
      if (parsed.value.intent === 'submit') {
        const result = await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
        if (result.failed.length) {
          const errors = result.failed[0].fields ?? { _form: result.failed[0].message };
          await render(req, res, caller, activity, { form: { values: { ...req.body, entryId: String(entry._id), version: entry.version }, errors }, savedEntryId: String(entry._id), flash: { tone: 'warning', text: 'Saved as a draft. Complete the marked fields to submit it.' } }, 400);
          return;
        }
        await render(req, res, caller, activity, { savedEntryId: String(entry._id), flash: { tone: 'success', text: 'Entry saved and submitted for review.' } });
        return;
      }
      await render(req, res, caller, activity, { savedEntryId: String(entry._id), flash: { tone: 'success', text: 'Draft saved.' } });
    }),
  );

  /**
   * Autosave (public/js/practicum-autosave.js): the entry form as JSON, stored as a draft. Always
   * answers JSON; only ever creates or updates drafts (a submitted or returned entry is 409).
   */
  router.post('/practicum/entries/autosave', async (req, res) => {
    try {
      const caller = requireCaller(res);
      requireRole(caller, ['candidate']);
      const activity = await practicumActivityFor(caller);
      const ctx = contextFor(res, caller, activity);
      if (ctx.role !== 'candidate') throw forbidden('practicum_not_candidate', 'Only candidates log practicum hours.');
      if (!req.is('application/json') || !req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw badRequest('autosave_json_only', 'Send the entry form as a JSON object.');
      const parsed = parseForm(entryFormSchema, { ...(req.body as Record<string, unknown>), intent: 'draft' });
      if (!parsed.ok) throw badRequest('invalid_form', 'The draft was not saved: some fields are malformed.', parsed.errors);
      const form = parsed.value;
      if (form.entryId) {
        const current = await PracticumEntryModel.findOne({ _id: form.entryId, activityId: activity._id, candidateSub: caller.sub }, { status: 1, version: 1 }).lean();
        if (!current) throw notFound('practicum_entry_not_found', 'That entry does not exist or is not yours.');
        if (current.status !== 'draft') throw conflict('practicum_entry_not_draft', 'Only drafts are saved automatically; use “Save draft” to change this entry.');
        form.version ??= current.version;
      }
      const entry = await saveDraft(ctx, form);
      res.json({ id: String(entry._id), version: entry.version, savedAt: new Date().toISOString() });
    } catch (err) {
      const e = err instanceof AppError ? err : null;
      if (!e || !e.isExpected) logger.error({ err, path: req.path }, 'practicum autosave failed');
      res.status(e?.status ?? 500).json({ error: e?.id ?? 'internal_error', message: e?.message ?? 'The draft could not be saved.', ...(e?.details ? { details: e.details } : {}) });
    }
  });

  router.post(
    '/practicum/entries/:action(submit|verify|approve|return)',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      const action = req.params.action as 'submit' | 'verify' | 'approve' | 'return';
      const gate = { submit: ['candidate'], verify: ['mentor'], approve: ['faculty'], return: ['mentor', 'faculty'] } as const;
      requireRole(caller, [...gate[action]]);
      const activity = await practicumActivityFor(caller);
      const ctx = contextFor(res, caller, activity);
      if (!(gate[action] as readonly string[]).includes(ctx.role)) throw forbidden('practicum_action_not_allowed', 'Your role here does not allow this action.');
      const parsed = parseForm(action === 'return' ? returnSchema : batchSchema, req.body);
      if (!parsed.ok) {
        await render(req, res, caller, activity, { flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
        return;
      }
      const result = await transitionEntries(ctx, action, parseBatch(parsed.value.entries), parsed.value.comment);
      logger.info({ activity: String(activity._id), action, done: result.done.length, failed: result.failed.length, grades: result.gradeChanges.length }, 'practicum entries transitioned');
      const word = ACTION_LABELS[action];
      const flash = result.failed.length
        ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${result.done.length} ${result.done.length === 1 ? 'entry' : 'entries'} ${word}; ${result.failed.length} could not be.` }
        : { tone: 'success' as const, text: `${result.done.length} ${result.done.length === 1 ? 'entry' : 'entries'} ${word}.` };
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(req, res, caller, activity, { flash, batch: result }, status);
    }),
  );

  /** Whose mentor a request changes: the candidate's own, or (faculty) a candidate of this activity. */
  async function mentorTarget(caller: Caller, activity: Activity, role: string, candidateField: string | undefined) {
    if (role === 'candidate') {
      if (candidateField && candidateField !== caller.sub) throw forbidden('practicum_mentor_not_yours', 'You can only name your own mentor.');
      return { sub: caller.sub, name: caller.name };
    }
    if (!candidateField) throw badRequest('practicum_mentor_candidate_missing', 'Choose the candidate whose mentor you are reassigning.');
    const known =
      (await PracticumProgressModel.findOne({ activityId: activity._id, candidateSub: candidateField }, { candidateName: 1 }).lean()) ??
      (await PracticumMentorModel.findOne({ activityId: String(activity._id), candidateSub: candidateField }, { candidateName: 1 }).lean());
    if (!known) throw notFound('practicum_candidate_not_found', 'That candidate has no practicum log in this activity yet.');
    return { sub: candidateField, name: known.candidateName ?? '' };
  }

  router.post(
    '/practicum/mentor',
    wrap(async (req, res) => {
      const caller = requireCaller(res);
      requireRole(caller, ['candidate', 'faculty']);
      const activity = await practicumActivityFor(caller);
      const role = actorRoleFor(caller, activity);
      if (role !== 'candidate' && role !== 'faculty') throw forbidden('practicum_mentor_not_allowed', 'Only the candidate or faculty can name a mentor.');
      const resend = req.body?.intent === 'resend';
      const candidateField = typeof req.body?.candidate === 'string' && req.body.candidate ? (req.body.candidate as string) : undefined;
      let mentor: { name: string; email: string };
      let candidateSub = candidateField;
      if (resend) {
        const parsed = parseForm(mentorResendSchema, req.body);
        if (!parsed.ok) throw badRequest('invalid_form', Object.values(parsed.errors).join(' '), parsed.errors);
        candidateSub = parsed.value.candidate;
        const target = await mentorTarget(caller, activity, role, candidateSub);
        const current = await PracticumMentorModel.findOne({ activityId: String(activity._id), candidateSub: target.sub }).lean();
        if (!current) throw notFound('practicum_mentor_not_named', 'Name a mentor first.');
        mentor = current.mentor;
      } else {
        const parsed = parseForm(mentorFormSchema, req.body);
        if (!parsed.ok) {
          if (role === 'candidate') await mentorTarget(caller, activity, role, candidateField);
          await render(req, res, caller, activity, { mentorForm: { values: req.body as Record<string, unknown>, errors: parsed.errors }, flash: { tone: 'danger', text: 'The mentor was not saved: fix the fields marked below.' } }, 400);
          return;
        }
        candidateSub = parsed.value.candidate;
        mentor = { name: parsed.value.mentorName, email: parsed.value.mentorEmail };
      }
      const candidate = await mentorTarget(caller, activity, role, candidateSub);
      const assignment = await nameMentor(deps, {
        activity,
        candidate,
        mentor,
        actor: { sub: caller.sub, name: caller.name, role },
        courseTitle: caller.contextTitle,
      });
      logger.info({ activity: String(activity._id), role, resend }, 'practicum mentor named and invited');
      const text = resend ? `A new link was emailed to ${assignment.mentor.name}; earlier links no longer work.` : `${assignment.mentor.name} was invited by email to verify ${role === 'candidate' ? 'your' : `${candidate.name || 'the candidate'}’s`} hours.`;
      await render(req, res, caller, activity, { flash: { tone: 'success', text } });
    }),
  );

  lti.app.use(router);
}
