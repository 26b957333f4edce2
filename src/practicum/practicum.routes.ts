/**
 * The practicum log's LTI routes (under /lti, every request with an LTI session). Each goes through
 * the activity pipeline (activityRoute): caller → role gate → this course's practicum activity →
 * validated input; the handler then applies the per-record policy and calls the service.
 */
import { Router, type Request, type Response } from 'express';
import type { ActivityRequest, KindDeps } from '../activities/activity-kind';
import type { Activity } from '../activities/activity.model';
import { activityRequestOf, activityRoute } from '../lti/activity-pipeline';
import type { Caller } from '../lti/caller';
import { AppError, badRequest, forbidden, notFound } from '../platform/errors';
import { parseForm } from '../platform/validate';
import { sendJsonError } from '../platform/json-error';
import { PracticumProgressModel } from './practicum-progress.model';
import { findMentorAssignment, nameMentor } from './practicum-mentors.service';
import { listCourseMembers } from '../courses/course-membership.service';
import { readSettings, termOf } from './practicum-settings';
import { buildPracticumPage, loadEntryWithTrail, todayIso, type PageOptions } from './practicum.page';
import { actorRoleFor, viewFor } from './practicum.policy';
import { batchSchema, entryFormSchema, mentorFormSchema, mentorResendSchema, missingForSubmit, parseBatch, queueFilterSchema, returnSchema } from './practicum.schemas';
import { saveDraft, saveEntry, transitionEntries, type FailureReason, type PracticumContext } from './practicum.service';
import { ACTION_LABELS } from './practicum.transitions';
import { createPracticumExportRouter } from './practicum-export.routes';
import { renderActivityPage } from '../lti/launch.page';
import { presentShell } from '../activities/shell.presenter';
import { findKind } from '../activities/registry';
import { cohortQuerySchema } from './cohort.presenter';
import { buildCandidatePage } from './candidate.page';

export const PRACTICUM = 'practicum-log';
const OBJECT_ID = /^[a-f0-9]{24}$/;
/** A batch where nothing succeeded answers with its first failure's status. */
export const FAILURE_STATUS: Record<FailureReason, number> = { 'not-found': 404, forbidden: 403, 'wrong-status': 409, incomplete: 400, stale: 409 };

/** Every practicum answer is the launch page (same shell, and faculty keep their Grades section). */
async function render(res: Response, request: ActivityRequest, options: Partial<PageOptions>, status = 200) {
  const practicum = await buildPracticumPage(request.caller, request.activity, { ltik: request.ltik, today: todayIso(), ...options });
  await renderActivityPage(res, request, {}, undefined, { section: { partial: 'practicum/panel', model: practicum }, status });
}

function contextFor(caller: Caller, activity: Activity): PracticumContext {
  const role = actorRoleFor(caller, activity);
  if (!role) throw forbidden('practicum_not_allowed', 'Your role in this course does not let you change practicum entries.');
  return { activity, actor: { kind: 'lti', caller }, role, today: todayIso() };
}

function requireView(caller: Caller, activity: Activity) {
  if (viewFor(caller, activity) === 'none') throw forbidden('practicum_not_allowed', 'Your role in this course does not give access to practicum logs.');
}

function candidateContext(caller: Caller, activity: Activity): PracticumContext {
  const ctx = contextFor(caller, activity);
  if (ctx.role !== 'candidate') throw forbidden('practicum_not_candidate', 'Only candidates log practicum hours.');
  return ctx;
}

/** Whose mentor a request changes: the candidate's own, or (faculty) a candidate of this activity. */
async function mentorTarget(caller: Caller, activity: Activity, role: string, candidateField: string | undefined) {
  if (role === 'candidate') {
    if (candidateField && candidateField !== caller.sub) throw forbidden('practicum_mentor_not_yours', 'You can only name your own mentor.');
    return { sub: caller.sub, name: caller.name };
  }
  if (!candidateField) throw badRequest('practicum_mentor_candidate_missing', 'Choose the candidate whose mentor you are reassigning.');
  const progress = await PracticumProgressModel.findOne({ activityId: activity._id, candidateSub: candidateField }, { candidateName: 1 }).lean();
  const member = progress ? null : (await listCourseMembers(activity, 'candidate')).find((m) => m.sub === candidateField);
  const assigned = progress || member ? null : await findMentorAssignment(activity, candidateField);
  const name = progress?.candidateName ?? member?.name ?? assigned?.candidateName;
  if (name === undefined) throw notFound('practicum_candidate_not_found', 'That person is not a candidate of this course.');
  return { sub: candidateField, name: name ?? '' };
}

export function createPracticumRouter(deps: KindDeps): Router {
  const { logger } = deps;
  const router = Router();
  const everyone = ['candidate', 'faculty', 'mentor', 'coordinator', 'designer'] as const;
  // CSV, printable hour log and its PDF (practicum-export.routes.ts).
  router.use(createPracticumExportRouter());

  router.get(
    '/practicum',
    activityRoute(
      { kind: PRACTICUM, roles: [...everyone], schema: queueFilterSchema, input: 'query', invalid: async (_r, errors) => Promise.reject(badRequest('invalid_filter', 'Choose a status and candidate from the lists.', errors)) },
      async (request, req, res) => {
        requireView(request.caller, request.activity);
        const editEntryId = typeof req.query.edit === 'string' && OBJECT_ID.test(req.query.edit) ? req.query.edit : undefined;
        await render(res, request, { filter: request.input, editEntryId, cohort: cohortQuerySchema.parse(req.query) });
      },
    ),
  );

  router.get(
    '/practicum/candidates/:sub',
    activityRoute({ kind: PRACTICUM, roles: [...everyone] }, async (request, req, res) => {
      const { caller, activity, ltik } = request;
      const page = await buildCandidatePage(caller, activity, req.params.sub, todayIso());
      const aid = String(activity._id);
      const shell = presentShell({ caller, activity, kind: findKind(activity.type), sectionsHref: `/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`, current: 'candidates' });
      res.render('practicum/candidate-page', { title: `${page.candidate.name} — ${activity.title}`, shell, ltik, aid, ...page });
    }),
  );

  router.get(
    '/practicum/entries/:id',
    activityRoute({ kind: PRACTICUM, roles: [...everyone] }, async ({ caller, activity, ltik }, req, res) => {
      requireView(caller, activity);
      const found = OBJECT_ID.test(req.params.id) ? await loadEntryWithTrail(caller, activity, req.params.id) : null;
      if (!found) throw notFound('practicum_entry_not_found', 'That entry does not exist or is not yours to see.');
      const aid = String(activity._id);
      const kind = findKind(activity.type);
      const pageHref = `/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
      const sections = kind?.sections?.({ caller, activity }) ?? [];
      // ?from= names the section (or faculty's per-candidate page) the entry was opened from, so
      // "Back" returns there; anything else falls back to the caller's first section.
      const from = typeof req.query.from === 'string' ? req.query.from : '';
      const section = sections.find((s) => s.id === from) ?? sections[0];
      const back =
        from === 'candidate' && viewFor(caller, activity) === 'faculty'
          ? { href: `/lti/practicum/candidates/${encodeURIComponent(found.candidateSub)}?ltik=${encodeURIComponent(ltik)}&aid=${aid}`, label: `Back to ${found.entry.candidateName}’s page` }
          : { href: `${pageHref}${section ? `#${section.id}` : ''}`, label: section ? `Back to ${section.label}` : 'Back to the log' };
      const shell = presentShell({ caller, activity, kind, sectionsHref: pageHref, current: from === 'candidate' ? 'candidates' : section?.id });
      res.render('practicum/entry', { title: `Entry of ${found.entry.date} — ${activity.title}`, shell, back, ltik, aid, ...found });
    }),
  );

  router.post(
    '/practicum/entries',
    activityRoute(
      {
        kind: PRACTICUM,
        roles: ['candidate'],
        schema: entryFormSchema,
        invalid: async (request, errors, req, res) => {
          candidateContext(request.caller, request.activity);
          await render(res, request, { form: { values: req.body, errors }, flash: { tone: 'danger', text: 'Nothing was saved yet: fix the fields marked below.' } }, 400);
        },
      },
      async (request, req, res) => {
        const { caller, activity, input: form } = request;
        const ctx = candidateContext(caller, activity);
        const isNewSubmit = form.intent === 'submit' && !form.entryId;
        if (isNewSubmit) {
          // A new entry submitted incomplete is refused whole: nothing half-made is stored.
          const missing = missingForSubmit(
            { date: form.date ?? null, minutes: form.hours ? Math.round(form.hours * 60) : 0, site: { name: form.siteName || (form.siteId ? 'site' : ''), gradeBand: form.gradeBand ?? null }, category: form.category ?? null, standards: form.standards, description: form.description },
            ctx.today,
            termOf(readSettings(activity.settings)),
          );
          if (Object.keys(missing).length) {
            await render(res, request, { form: { values: req.body, errors: missing }, flash: { tone: 'danger', text: 'Nothing was saved yet: complete the fields marked below to submit, or save a draft.' } }, 400);
            return;
          }
        }
        // Browser Back and the same form sent again: its form token names the entry it already made.
        const saved = await saveEntry(ctx, form, { submit: isNewSubmit });
        const { entry } = saved;
        if (saved.isReplayOfFinal) {
          await render(res, request, { savedEntryId: String(entry._id), flash: { tone: 'success', text: 'This entry was already saved and submitted; it was not added again.' } });
          return;
        }
        const written = { entry, progressItems: saved.progressItems, settledEntries: saved.settledEntries };
        if (isNewSubmit && entry.status === 'submitted') {
          await render(res, request, { savedEntryId: String(entry._id), saved: written, flash: { tone: 'success', text: 'Entry saved and submitted for review.' } });
          return;
        }
        // An entry saved again as a draft (an edit, or a new entry's form sent again) is submitted as a change of its own.
        if (form.intent === 'submit') {
          const result = await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
          if (result.failed.length) {
            const errors = result.failed[0].fields ?? { _form: result.failed[0].message };
            await render(res, request, { form: { values: { ...req.body, entryId: String(entry._id), version: entry.version }, errors }, savedEntryId: String(entry._id), flash: { tone: 'warning', text: 'Saved as a draft. Complete the marked fields to submit it.' } }, 400);
            return;
          }
          await render(res, request, { savedEntryId: String(entry._id), flash: { tone: 'success', text: 'Entry saved and submitted for review.' } });
          return;
        }
        await render(res, request, { savedEntryId: String(entry._id), saved: written, flash: { tone: 'success', text: 'Draft saved.' } });
      },
    ),
  );

  /**
   * Autosave (public/js/practicum-autosave.js): the entry form as JSON, stored as a draft. Always
   * answers JSON; only ever creates or updates drafts (a submitted or returned entry is 409).
   */
  router.post('/practicum/entries/autosave', async (req: Request, res: Response) => {
    try {
      const { caller, activity } = await activityRequestOf(req, res, ['candidate'], PRACTICUM);
      const ctx = candidateContext(caller, activity);
      if (!req.is('application/json') || !req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw badRequest('autosave_json_only', 'Send the entry form as a JSON object.');
      const parsed = parseForm(entryFormSchema, { ...(req.body as Record<string, unknown>), intent: 'draft' });
      if (!parsed.ok) throw badRequest('invalid_form', 'The draft was not saved: some fields are malformed.', parsed.errors);
      // The form token finds the entry an earlier autosave of this form made; only drafts change.
      const entry = await saveDraft(ctx, parsed.value, { draftsOnly: true });
      res.json({ id: String(entry._id), version: entry.version, savedAt: new Date().toISOString() });
    } catch (err) {
      sendJsonError(res, req, err, logger, 'practicum autosave failed', 'The draft could not be saved.');
    }
  });

  const gate = { submit: ['candidate'], verify: ['mentor'], approve: ['faculty'], return: ['mentor', 'faculty'] } as const;
  for (const action of Object.keys(gate) as (keyof typeof gate)[]) {
    router.post(
      `/practicum/entries/${action}`,
      activityRoute({ kind: PRACTICUM, roles: [...gate[action]] }, async (request, req, res) => {
        const ctx = contextFor(request.caller, request.activity);
        if (!(gate[action] as readonly string[]).includes(ctx.role)) throw forbidden('practicum_action_not_allowed', 'Your role here does not allow this action.');
        const parsed = parseForm(action === 'return' ? returnSchema : batchSchema, req.body);
        if (!parsed.ok) {
          await render(res, request, { flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
          return;
        }
        const result = await transitionEntries(ctx, action, parseBatch(parsed.value.entries), parsed.value.comment);
        logger.info({ activity: String(request.activity._id), action, done: result.done.length, failed: result.failed.length, grades: result.gradeChanges.length }, 'practicum entries transitioned');
        const word = ACTION_LABELS[action];
        const n = (k: number) => `${k} ${k === 1 ? 'entry' : 'entries'}`;
        const queued = result.gradeChanges.length ? ` The grade for ${result.gradeChanges.length === 1 ? 'this candidate' : `${result.gradeChanges.length} candidates`} was queued for the gradebook.` : '';
        const flash = result.failed.length
          ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.${queued}` }
          : { tone: 'success' as const, text: `${n(result.done.length)} ${word}.${queued}` };
        const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
        await render(res, request, { flash, batch: result }, status);
      }),
    );
  }

  router.post(
    '/practicum/mentor',
    activityRoute({ kind: PRACTICUM, roles: ['candidate', 'faculty'] }, async (request, req, res) => {
      const { caller, activity } = request;
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
        const current = await findMentorAssignment(activity, target.sub);
        if (!current) throw notFound('practicum_mentor_not_named', 'Name a mentor first.');
        mentor = current.mentor;
      } else {
        const parsed = parseForm(mentorFormSchema, req.body);
        if (!parsed.ok) {
          if (role === 'candidate') await mentorTarget(caller, activity, role, candidateField);
          await render(res, request, { mentorForm: { values: req.body as Record<string, unknown>, errors: parsed.errors }, flash: { tone: 'danger', text: 'The mentor was not saved: fix the fields marked below.' } }, 400);
          return;
        }
        candidateSub = parsed.value.candidate;
        mentor = { name: parsed.value.mentorName, email: parsed.value.mentorEmail };
      }
      const candidate = await mentorTarget(caller, activity, role, candidateSub);
      let assignment;
      try {
        assignment = await nameMentor(deps, { activity, candidate, mentor, actor: { sub: caller.sub, name: caller.name, role }, courseTitle: caller.contextTitle });
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 429) throw err;
        // At a sending limit: the page again with what was typed, so nothing is lost when it lifts.
        if (typeof err.details?.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
        const mentorForm = resend ? undefined : { values: req.body as Record<string, unknown>, errors: {} };
        await render(res, request, { mentorForm, flash: { tone: 'danger', text: err.message } }, 429);
        return;
      }
      logger.info({ activity: String(activity._id), role, resend }, 'practicum mentor named and invited');
      const text = resend ? `A new link was emailed to ${assignment.mentor.name}; earlier links no longer work.` : `${assignment.mentor.name} was invited by email to verify ${role === 'candidate' ? 'your' : `${candidate.name || 'the candidate'}’s`} hours.`;
      await render(res, request, { flash: { tone: 'success', text } });
    }),
  );

  return router;
}
