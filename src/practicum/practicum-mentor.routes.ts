/**
 * Practicum screens for mentors without an LMS account, mounted inside the /access router (its
 * no-store / no-referrer headers and refusal pages apply). The session token travels as `s` in
 * every form and link — no cookies. What a mentor sees and changes is their reach: the practicum
 * activities of the courses where a candidate's CURRENT mentor is the session's email, and in each
 * only those candidates (course-mentors.service.ts). Every verify / return is written to the
 * practicum audit trail with the mentor's email and name (practicum.service.ts). The home page is
 * shared by every kind (src/activities/external-home.ts); the practicum's part of it is built in
 * practicum-mentor.page.ts and these actions answer with it.
 */
import { Router } from 'express';
import { Types } from 'mongoose';
import type { ExternalHomeRender, ExternalKindDeps } from '../activities/activity-kind';
import { externalReachOf } from '../activities/external-home';
import { requireExternalSession, type ExternalSession } from '../access';
import { presentExternalShell } from '../access/access.presenter';
import { wrap } from '../platform/async-handler';
import { parseForm } from '../platform/validate';
import { PracticumEntryModel } from './practicum-entry.model';
import { todayIso } from './practicum.page';
import { FAILURE_STATUS, PRACTICUM } from './practicum.routes';
import { batchSchema, parseBatch, returnSchema } from './practicum.schemas';
import { transitionEntries, type BatchResult } from './practicum.service';
import { ACTION_LABELS } from './practicum.transitions';
import { renderHourLogPdf } from './hour-log.pdf';
import { buildHourLog } from './practicum-export.service';
import { exportQuerySchema, hourLogFileName, presentHourLog, sendDownload } from './practicum-export.routes';
import { authorizeCandidateLog } from './practicum.policy';
import { displayZone } from '../platform/time-zone';
import { notFound } from '../platform/errors';
import { MENTOR_SECTIONS, practicumReachOf, type MentorPageState, type PracticumReach } from './practicum-mentor.page';

/** The practicum activities and candidates this session's mentor may work on now (empty: none). */
const reachOf = async (session: ExternalSession) => {
  const reach = await externalReachOf(session);
  return { reach, practicum: await practicumReachOf(reach) };
};

/**
 * The mentor page's header on a candidate's hour log, its section links leading back to that page
 * (the log belongs to its Hour logs section); shown on screen only, the printed log stays a document.
 */
function hourLogShell(session: ExternalSession, r: PracticumReach, candidateName: string, home: string) {
  const shell = presentExternalShell({ name: session.name, candidateNames: [candidateName], courseTitles: [r.courseTitle], activityTitles: [r.activity.title], nav: MENTOR_SECTIONS });
  return { ...shell, nav: shell.nav.map((s) => ({ ...s, href: `${home}#${s.id}`, isCurrent: s.id === 'hour-logs' })) };
}

const asList = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/**
 * Applies one action to entries that may belong to several activities of the mentor's reach: each
 * entry is handled under the reach of its own activity; one outside the reach is "not found".
 */
async function transitionAcross(reach: PracticumReach[], action: 'verify' | 'return', items: { id: string; version: number }[], comment: string): Promise<BatchResult> {
  const ids = items.map((i) => i.id).filter((id) => Types.ObjectId.isValid(id));
  const owners = new Map((await PracticumEntryModel.find({ _id: { $in: ids } }, { activityId: 1 }).lean()).map((e) => [String(e._id), String(e.activityId)]));
  const result: BatchResult = { done: [], failed: [], gradeChanges: [] };
  const groups = new Map<string, { id: string; version: number }[]>();
  for (const item of items) {
    const activityId = owners.get(item.id);
    if (!activityId || !reach.some((r) => String(r.activity._id) === activityId)) {
      result.failed.push({ id: item.id, reason: 'not-found', message: 'Not found among the entries you can verify.' });
      continue;
    }
    groups.set(activityId, [...(groups.get(activityId) ?? []), item]);
  }
  for (const [activityId, group] of groups) {
    const r = reach.find((x) => String(x.activity._id) === activityId)!;
    const part = await transitionEntries({ activity: r.activity, actor: r.actor, role: 'mentor', today: todayIso() }, action, group, comment);
    result.done.push(...part.done);
    result.failed.push(...part.failed);
    result.gradeChanges.push(...part.gradeChanges);
  }
  return result;
}

export function createMentorAccessRouter(deps: ExternalKindDeps): Router {
  const router = Router();

  /**
   * The hour log of a candidate the mentor currently mentors (page and PDF), so a site supervisor
   * can sign the document the licensure office asks for. Outside their reach: 404.
   */
  const hourLog = (asPdf: boolean) =>
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      const parsed = parseForm(exportQuerySchema, req.query);
      const aid = typeof req.query.aid === 'string' ? req.query.aid : '';
      const candidate = parsed.ok ? parsed.value.candidate : undefined;
      const r = (await reachOf(session)).practicum.find((x) => String(x.activity._id) === aid && candidate !== undefined && x.actor.scope.candidateSubs.includes(candidate));
      if (!r || !candidate) throw notFound('practicum_candidate_not_found', 'That hour log is not among the candidates you mentor.');
      authorizeCandidateLog(r.actor, r.activity, candidate);
      const zone = displayZone(parsed.ok ? parsed.value.tz : undefined);
      const log = await buildHourLog(r.actor, r.activity, candidate, zone, new Date());
      if (!log.courseTitle) log.courseTitle = r.courseTitle;
      if (asPdf) return sendDownload(res, await renderHourLogPdf(log), 'application/pdf', hourLogFileName(log, new Date()));
      const query = new URLSearchParams({ s: session.token, aid, candidate, ...(parsed.ok && parsed.value.tz ? { tz: parsed.value.tz } : {}) });
      const home = `/access/home?${new URLSearchParams({ s: session.token })}`;
      res.render('practicum/hour-log', { ...presentHourLog(log, { pdf: `/access/practicum/hour-log.pdf?${query}`, back: home, backLabel: 'Back to your candidates' }), shell: hourLogShell(session, r, log.candidateName, home) });
    });
  router.get('/practicum/hour-log', hourLog(false));
  router.get('/practicum/hour-log.pdf', hourLog(true));

  router.post(
    '/practicum/:action(verify|return)',
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      const { reach, practicum } = await reachOf(session);
      if (!practicum.length) {
        res.status(403).render('access/refused', { title: 'Not available', heading: 'Not available', message: 'This invitation is not for verifying practicum hours.', code: 'practicum_not_allowed' });
        return;
      }
      // The answer is the shared mentor home (every kind's part), this part keeping what was typed.
      const render = (flash: ExternalHomeRender['flash'], state: MentorPageState, status: number, failures: string[] = []) =>
        deps.home.render(res, { reach, flash, failures, kept: { type: PRACTICUM, state } }, status);
      const action = req.params.action as 'verify' | 'return';
      const body = req.body as Record<string, unknown>;
      // A row's own button sends `one`; the batch buttons send the ticked `entries`.
      const one = typeof body.one === 'string' && body.one ? body.one : null;
      const input = { entries: one ? [one] : asList(body.entries), comment: body.comment };
      const parsed = parseForm(action === 'return' ? returnSchema : batchSchema, input);
      if (!parsed.ok) {
        const kept = { comment: typeof body.comment === 'string' ? body.comment : '', selected: input.entries, errors: parsed.errors };
        await render({ tone: 'danger', text: Object.values(parsed.errors).join(' ') }, { reach: practicum, kept }, 400);
        return;
      }
      const result = await transitionAcross(practicum, action, parseBatch(parsed.value.entries), parsed.value.comment);
      deps.logger.info({ action, external: true, done: result.done.length, failed: result.failed.length }, 'practicum entries transitioned by external mentor');
      const word = ACTION_LABELS[action];
      const n = (k: number) => `${k} ${k === 1 ? 'entry' : 'entries'}`;
      const flash = result.failed.length
        ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.` }
        : { tone: 'success' as const, text: `${n(result.done.length)} ${word}.` };
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(flash, { reach: practicum }, status, result.failed.map((f) => f.message));
    }),
  );

  return router;
}
