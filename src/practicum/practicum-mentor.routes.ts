/**
 * Practicum screens for mentors without an LMS account, mounted inside the /access router (its
 * no-store / no-referrer headers and refusal pages apply). The session token travels as `s` in
 * every form and link — no cookies. What a mentor sees and changes is their reach: the practicum
 * activities of the courses where a candidate's CURRENT mentor is the session's email, and in each
 * only those candidates (course-mentors.service.ts). Every verify / return is written to the
 * practicum audit trail with the mentor's email and name (practicum.service.ts).
 */
import { Router, type Response } from 'express';
import { Types } from 'mongoose';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { requireExternalSession, type ExternalSession } from '../access';
import { presentExternalShell } from '../access/access.presenter';
import { mentoredBy } from '../courses/course-mentors.service';
import { wrap } from '../platform/async-handler';
import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { parseForm, type FieldErrors } from '../platform/validate';
import { PracticumEntryModel } from './practicum-entry.model';
import { todayIso } from './practicum.page';
import { externalEntryScope, type ExternalActor } from './practicum.policy';
import { presentEntry } from './practicum.presenter';
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

export interface MentorAccessDeps {
  config: AppConfig;
  logger: Logger;
}

interface ScreenOptions {
  flash?: { tone: 'success' | 'danger' | 'warning'; text: string } | null;
  batch?: BatchResult | null;
  /** What was typed and ticked, kept on a 400. */
  kept?: { comment: string; selected: string[]; errors: FieldErrors };
}

interface Reach {
  activity: Activity;
  courseTitle: string;
  actor: ExternalActor;
  candidateNames: Map<string, string>;
}

/** The practicum activities and candidates this mentor may work on now (empty: not a mentor session). */
async function reachOf(session: ExternalSession): Promise<Reach[]> {
  if (session.purpose !== 'mentor-verify') return [];
  const assignments = await mentoredBy(session.scope.iss, session.email);
  const courses = new Map<string, typeof assignments>();
  for (const a of assignments) {
    const key = JSON.stringify([a.clientId, a.contextId]);
    courses.set(key, [...(courses.get(key) ?? []), a]);
  }
  const reach: Reach[] = [];
  for (const group of courses.values()) {
    const { clientId, contextId, courseTitle } = group[0];
    const activities = (await ActivityModel.find({ iss: session.scope.iss, clientId, contextId, type: PRACTICUM }).sort({ createdAt: 1 }).lean()) as Activity[];
    const candidateSubs = group.map((a) => a.candidateSub);
    for (const activity of activities) {
      reach.push({
        activity,
        courseTitle: courseTitle || activity.contextTitle || '',
        actor: { kind: 'external', email: session.email, name: session.name, scope: { activityId: String(activity._id), candidateSubs } },
        candidateNames: new Map(group.map((a) => [a.candidateSub, a.candidateName || 'Your candidate'])),
      });
    }
  }
  return reach;
}

async function buildSection(reach: Reach, selected: Set<string>) {
  const scope = externalEntryScope(reach.actor, reach.activity);
  const [awaiting, recent] = await Promise.all([
    PracticumEntryModel.find({ ...scope, status: 'submitted' }).sort({ date: 1, createdAt: 1 }).limit(500).lean(),
    PracticumEntryModel.find({ ...scope, status: { $in: ['verified', 'approved', 'returned'] } }).sort({ updatedAt: -1 }).limit(20).lean(),
  ]);
  const named = (e: { candidateSub: string }) => reach.candidateNames.get(e.candidateSub) ?? '';
  return {
    aid: String(reach.activity._id),
    activityTitle: reach.activity.title,
    courseTitle: reach.courseTitle,
    candidates: [...reach.candidateNames.values()].join(', '),
    hourLogs: [...reach.candidateNames].map(([sub, name]) => ({ name, query: new URLSearchParams({ aid: String(reach.activity._id), candidate: sub }).toString() })),
    awaiting: awaiting.map((e) => ({ ...presentEntry(e, 'mentor'), candidateName: named(e), checked: selected.has(`${String(e._id)}:${e.version}`) })),
    recent: recent.map((e) => ({ ...presentEntry(e, 'mentor'), candidateName: named(e), by: (e.lastTransition as { actor?: { name?: string } } | null)?.actor?.name ?? '' })),
  };
}

/** The mentor page's sections, in the order it renders them (views/access/practicum.hbs). */
const MENTOR_SECTIONS = [
  { id: 'to-verify', label: 'To verify' },
  { id: 'verified', label: 'Verified' },
  { id: 'hour-logs', label: 'Hour logs' },
];

async function buildScreen(session: ExternalSession, reach: Reach[], options: ScreenOptions) {
  const selected = new Set(options.kept?.selected ?? []);
  const sections = await Promise.all(reach.map((r) => buildSection(r, selected)));
  const shell = presentExternalShell({
    name: session.name,
    candidateNames: reach.flatMap((r) => [...r.candidateNames.values()]),
    courseTitles: reach.map((r) => r.courseTitle),
    activityTitles: reach.map((r) => r.activity.title),
    nav: MENTOR_SECTIONS,
  });
  const awaitingCount = sections.reduce((n, sec) => n + sec.awaiting.length, 0);
  return {
    title: shell.title,
    shell,
    // Several practicum activities (courses) in reach: each block is named; one needs no sub-heading.
    several: sections.length > 1,
    hourLogs: sections.flatMap((sec) => sec.hourLogs.map((h) => ({ ...h, activityTitle: sec.activityTitle, courseTitle: sec.courseTitle }))),
    hasRecent: sections.some((sec) => sec.recent.length > 0),
    s: session.token,
    name: session.name,
    email: session.email,
    invitedBy: session.invitedBy,
    sessionEndsAt: session.expiresAt,
    sections,
    awaitingCount,
    flash: options.flash ?? null,
    batchFailures: (options.batch?.failed ?? []).map((f) => ({ message: f.message })),
    comment: options.kept?.comment ?? '',
    errors: options.kept?.errors ?? {},
  };
}

/**
 * The mentor page's header on a candidate's hour log, its section links leading back to that page
 * (the log belongs to its Hour logs section); shown on screen only, the printed log stays a document.
 */
function hourLogShell(session: ExternalSession, r: Reach, candidateName: string, home: string) {
  const shell = presentExternalShell({ name: session.name, candidateNames: [candidateName], courseTitles: [r.courseTitle], activityTitles: [r.activity.title], nav: MENTOR_SECTIONS });
  return { ...shell, nav: shell.nav.map((s) => ({ ...s, href: `${home}#${s.id}`, isCurrent: s.id === 'hour-logs' })) };
}

const asList = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/**
 * Applies one action to entries that may belong to several activities of the mentor's reach: each
 * entry is handled under the reach of its own activity; one outside the reach is "not found".
 */
async function transitionAcross(reach: Reach[], action: 'verify' | 'return', items: { id: string; version: number }[], comment: string): Promise<BatchResult> {
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

export function createMentorAccessRouter(deps: MentorAccessDeps): Router {
  const router = Router();

  async function render(res: Response, session: ExternalSession, reach: Reach[], options: ScreenOptions, status = 200) {
    res.status(status).render('access/practicum', await buildScreen(session, reach, options));
  }

  router.get(
    '/home',
    wrap(async (req, res, next) => {
      const session = await requireExternalSession(req);
      const reach = await reachOf(session);
      if (!reach.length) return next();
      await render(res, session, reach, {});
    }),
  );

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
      const r = (await reachOf(session)).find((x) => String(x.activity._id) === aid && candidate !== undefined && x.actor.scope.candidateSubs.includes(candidate));
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
      const reach = await reachOf(session);
      if (!reach.length) {
        res.status(403).render('access/refused', { title: 'Not available', heading: 'Not available', message: 'This invitation is not for verifying practicum hours.', code: 'practicum_not_allowed' });
        return;
      }
      const action = req.params.action as 'verify' | 'return';
      const body = req.body as Record<string, unknown>;
      // A row's own button sends `one`; the batch buttons send the ticked `entries`.
      const one = typeof body.one === 'string' && body.one ? body.one : null;
      const input = { entries: one ? [one] : asList(body.entries), comment: body.comment };
      const parsed = parseForm(action === 'return' ? returnSchema : batchSchema, input);
      if (!parsed.ok) {
        const kept = { comment: typeof body.comment === 'string' ? body.comment : '', selected: input.entries, errors: parsed.errors };
        await render(res, session, reach, { kept, flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
        return;
      }
      const result = await transitionAcross(reach, action, parseBatch(parsed.value.entries), parsed.value.comment);
      deps.logger.info({ action, external: true, done: result.done.length, failed: result.failed.length }, 'practicum entries transitioned by external mentor');
      const word = ACTION_LABELS[action];
      const n = (k: number) => `${k} ${k === 1 ? 'entry' : 'entries'}`;
      const flash = result.failed.length
        ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.` }
        : { tone: 'success' as const, text: `${n(result.done.length)} ${word}.` };
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(res, session, reach, { flash, batch: result }, status);
    }),
  );

  return router;
}
