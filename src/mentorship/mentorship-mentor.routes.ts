/**
 * Mentorship actions for mentors without an LMS account, inside the /access router (its no-store
 * and refusal pages apply); the session token travels as `s`, no cookies. A mentor signs off or asks
 * for changes only on check-ins of candidates whose CURRENT course mentor is the session's email
 * (course-mentors.service.ts), read again on every request. The sign-off recomputes and queues the
 * grade with no LTI session (recordActivityGrade takes the column from the activity).
 */
import { Router } from 'express';
import { Types } from 'mongoose';
import type { ExternalHomeRender, ExternalKindDeps } from '../activities/activity-kind';
import { externalReachOf } from '../activities/external-home';
import { requireExternalSession } from '../access';
import { wrap } from '../platform/async-handler';
import { parseForm } from '../platform/validate';
import { CheckInModel } from './checkin.model';
import { MENTORSHIP } from './mentorship-type';
import { mentorshipReachOf, type MentorshipPageState, type MentorshipReach } from './mentorship-mentor.page';
import { todayIso } from './mentorship.page';
import { mentorNotesSchema, parseRefs, reviewSchema } from './mentorship.schemas';
import { reviewCheckIns, saveMentorNotes, type ReviewResult } from './mentorship.service';
import { AppError } from '../platform/errors';
import { isPaused, readPauseToken, setPaused } from './reminder-pause';

const asList = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** One review across the check-in activities of the reach; a check-in outside it is "not found". */
async function reviewAcross(reach: MentorshipReach[], intent: 'sign-off' | 'request-changes', refs: { id: string; version: number }[], comment: string): Promise<ReviewResult> {
  const ids = refs.map((r) => r.id).filter((id) => Types.ObjectId.isValid(id));
  const owners = new Map((await CheckInModel.find({ _id: { $in: ids } }, { activityId: 1 }).lean()).map((c) => [String(c._id), String(c.activityId)]));
  const result: ReviewResult = { done: [], failed: [], graded: [] };
  const groups = new Map<string, { id: string; version: number }[]>();
  for (const ref of refs) {
    const activityId = owners.get(ref.id);
    if (!activityId || !reach.some((r) => String(r.activity._id) === activityId)) {
      result.failed.push({ id: ref.id, reason: 'not-found', message: 'That check-in is not among your mentees’.' });
      continue;
    }
    groups.set(activityId, [...(groups.get(activityId) ?? []), ref]);
  }
  for (const [activityId, group] of groups) {
    const r = reach.find((x) => String(x.activity._id) === activityId)!;
    const part = await reviewCheckIns({ activity: r.activity, actor: r.actor, role: 'mentor', today: todayIso() }, intent, group, comment);
    result.done.push(...part.done);
    result.failed.push(...part.failed);
    result.graded.push(...part.graded);
  }
  return result;
}

export function createMentorshipAccessRouter(deps: ExternalKindDeps): Router {
  const router = Router();
  router.post(
    '/mentorship/review',
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      const reach = await externalReachOf(session);
      const mine = await mentorshipReachOf(reach);
      if (!mine.length) {
        res.status(403).render('access/refused', { title: 'Not available', heading: 'Not available', message: 'This invitation is not for signing off mentorship check-ins.', code: 'mentorship_not_allowed' });
        return;
      }
      const render = (flash: ExternalHomeRender['flash'], state: MentorshipPageState, status: number, failures: string[] = []) => deps.home.render(res, { reach, flash, failures, kept: { type: MENTORSHIP, state } }, status);
      const body = req.body as Record<string, unknown>;
      const one = typeof body.one === 'string' && body.one ? body.one : null;
      const selected = one ? [one] : asList(body.checkIns);
      const parsed = parseForm(reviewSchema, { checkIns: selected, intent: body.intent, comment: body.comment });
      if (!parsed.ok) {
        await render({ tone: 'danger', text: Object.values(parsed.errors).join(' ') }, { reach: mine, kept: { comment: typeof body.comment === 'string' ? body.comment : '', selected, errors: parsed.errors } }, 400);
        return;
      }
      const result = await reviewAcross(mine, parsed.value.intent, parseRefs(parsed.value.checkIns), parsed.value.comment);
      deps.logger.info({ intent: parsed.value.intent, external: true, done: result.done.length, failed: result.failed.length }, 'mentorship check-ins reviewed by external mentor');
      const word = parsed.value.intent === 'sign-off' ? 'signed off' : 'sent back for changes';
      const n = (k: number) => `${k} check-in${k === 1 ? '' : 's'}`;
      const flash = result.failed.length
        ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.` }
        : { tone: 'success' as const, text: `${n(result.done.length)} ${word}.` };
      const status = result.done.length ? 200 : result.failed[0].reason === 'not-found' ? 404 : result.failed[0].reason === 'forbidden' ? 403 : result.failed[0].reason === 'incomplete' ? 400 : 409;
      await render(flash, { reach: mine }, status, result.failed.map((f) => f.message));
    }),
  );
  /** The emailed mentor's notes and action items on a mentee's check-in (audited with their email). */
  router.post(
    '/mentorship/notes',
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      const reach = await externalReachOf(session);
      const mine = await mentorshipReachOf(reach);
      const render = (flash: ExternalHomeRender['flash'], status: number) => deps.home.render(res, { reach, flash, kept: { type: MENTORSHIP, state: { reach: mine } } }, status);
      const parsed = parseForm(mentorNotesSchema, req.body);
      if (!parsed.ok) return render({ tone: 'danger', text: Object.values(parsed.errors).join(' ') }, 400);
      const input = parsed.value as Record<string, string | undefined>;
      const [ref] = parseRefs([input.checkIn!]);
      const owner = Types.ObjectId.isValid(ref.id) ? await CheckInModel.findOne({ _id: ref.id }, { activityId: 1 }).lean() : null;
      const r = owner ? mine.find((x) => String(x.activity._id) === String(owner.activityId)) : undefined;
      if (!r) return render({ tone: 'danger', text: 'That check-in is not among your mentees’.' }, 404);
      const items = [0, 1, 2].filter((i) => input[`item_${i}_text`]).map((i) => ({ text: input[`item_${i}_text`]!, owner: (input[`item_${i}_owner`] as 'candidate' | 'mentor') ?? 'mentor', due: input[`item_${i}_due`] ?? null }));
      try {
        await saveMentorNotes({ activity: r.activity, actor: r.actor, role: 'mentor', today: todayIso() }, ref, input.mentorNotes ?? '', items);
      } catch (err) {
        if (!(err instanceof AppError) || !err.isExpected) throw err;
        return render({ tone: 'danger', text: err.message }, err.status);
      }
      await render({ tone: 'success', text: 'Your notes were saved.' }, 200);
    }),
  );

  /**
   * The "pause these reminders" link of every reminder mail: a page saying whose reminders it
   * covers, and a button (opening the link changes nothing: mail scanners open links).
   */
  const pausePage = wrap(async (req, res) => {
    const token = req.method === 'POST' ? (req.body as Record<string, unknown>).t : req.query.t;
    const recipient = readPauseToken(deps.config, token);
    if (!recipient) {
      res.status(404).render('access/refused', { title: 'Link not recognised', heading: 'This link is not recognised', message: 'Use the “Pause these reminders” link from a Fieldbook reminder email, as it arrived.', code: 'reminder_link_invalid' });
      return;
    }
    const action = (req.body as Record<string, unknown> | undefined)?.action;
    let flash: string | null = null;
    if (req.method === 'POST' && (action === 'pause' || action === 'resume')) {
      await setPaused(recipient, action === 'pause');
      deps.logger.info({ kind: recipient.kind, action }, 'reminder preference changed');
      flash = action === 'pause' ? 'Reminders are paused. You will get no more reminder emails from Fieldbook until you turn them back on here.' : 'Reminders are back on.';
    }
    res.render('mentorship/reminders', { title: 'Fieldbook reminders', t: token, isPaused: await isPaused(recipient), isMentor: recipient.kind === 'mentor', flash });
  });
  router.get('/reminders', pausePage);
  router.post('/reminders', pausePage);

  return router;
}
