/**
 * Practicum screens for mentors without an LMS account, mounted inside the /access router (its
 * no-store / no-referrer headers and refusal pages apply). The session token travels as `s` in
 * every form and link — no cookies. The entries shown and changed are scoped by the session: one
 * activity, the candidate(s) the link was issued for. Every verify / return is written to the
 * practicum audit trail with the mentor's email and name (practicum.service.ts).
 */
import { Router, type Response } from 'express';
import { wrap } from '../platform/async-handler';
import { Types } from 'mongoose';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { requireExternalSession, type ExternalSession } from '../access';
import { formatUtc } from '../access/access.presenter';
import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { parseForm, type FieldErrors } from '../platform/validate';
import { PracticumEntryModel } from './practicum-entry.model';
import { todayIso } from './practicum.page';
import { externalEntryScope, type ExternalActor } from './practicum.policy';
import { presentEntry } from './practicum.presenter';
import { FAILURE_STATUS } from './practicum.routes';
import { batchSchema, parseBatch, returnSchema } from './practicum.schemas';
import { transitionEntries, type BatchResult } from './practicum.service';
import { ACTION_LABELS } from './practicum.transitions';

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

/** The practicum activity a mentor-verify session is for (null: not a practicum session). */
async function practicumOf(session: ExternalSession): Promise<Activity | null> {
  if (session.purpose !== 'mentor-verify' || !Types.ObjectId.isValid(session.scope.activityId)) return null;
  return (await ActivityModel.findOne({ _id: session.scope.activityId, iss: session.scope.iss, type: 'practicum-log' }).lean()) as Activity | null;
}

export function externalActorOf(session: ExternalSession): ExternalActor {
  return { kind: 'external', email: session.email, name: session.name, scope: { activityId: session.scope.activityId, candidateSubs: [session.scope.candidateSub] } };
}

async function buildScreen(session: ExternalSession, activity: Activity, options: ScreenOptions) {
  const actor = externalActorOf(session);
  const scope = externalEntryScope(actor, activity);
  const [awaiting, recent] = await Promise.all([
    PracticumEntryModel.find({ ...scope, status: 'submitted' }).sort({ date: 1, createdAt: 1 }).limit(500).lean(),
    PracticumEntryModel.find({ ...scope, status: { $in: ['verified', 'approved', 'returned'] } }).sort({ updatedAt: -1 }).limit(20).lean(),
  ]);
  const selected = new Set(options.kept?.selected ?? []);
  return {
    title: 'Verify practicum hours',
    s: session.token,
    name: session.name,
    email: session.email,
    invitedBy: session.invitedBy,
    sessionEndsAt: formatUtc(session.expiresAt),
    candidateName: session.display.candidateName || 'Your candidate',
    activityTitle: activity.title,
    courseTitle: session.display.courseTitle,
    flash: options.flash ?? null,
    batchFailures: (options.batch?.failed ?? []).map((f) => ({ message: f.message })),
    awaiting: awaiting.map((e) => ({ ...presentEntry(e, 'mentor'), checked: selected.has(`${String(e._id)}:${e.version}`) })),
    recent: recent.map((e) => ({ ...presentEntry(e, 'mentor'), by: (e.lastTransition as { actor?: { name?: string } } | null)?.actor?.name ?? '' })),
    comment: options.kept?.comment ?? '',
    errors: options.kept?.errors ?? {},
  };
}

const asList = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

export function createMentorAccessRouter(deps: MentorAccessDeps): Router {
  const router = Router();

  async function render(res: Response, session: ExternalSession, activity: Activity, options: ScreenOptions, status = 200) {
    res.status(status).render('access/practicum', await buildScreen(session, activity, options));
  }

  router.get(
    '/home',
    wrap(async (req, res, next) => {
      const session = await requireExternalSession(req);
      const activity = await practicumOf(session);
      if (!activity) return next();
      await render(res, session, activity, {});
    }),
  );

  router.post(
    '/practicum/:action(verify|return)',
    wrap(async (req, res) => {
      const session = await requireExternalSession(req);
      const activity = await practicumOf(session);
      if (!activity) {
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
        await render(res, session, activity, { kept, flash: { tone: 'danger', text: Object.values(parsed.errors).join(' ') } }, 400);
        return;
      }
      const result = await transitionEntries(
        { activity, actor: externalActorOf(session), role: 'mentor', today: todayIso() },
        action,
        parseBatch(parsed.value.entries),
        parsed.value.comment,
      );
      deps.logger.info({ activity: String(activity._id), action, external: true, done: result.done.length, failed: result.failed.length }, 'practicum entries transitioned by external mentor');
      const word = ACTION_LABELS[action];
      const n = (k: number) => `${k} ${k === 1 ? 'entry' : 'entries'}`;
      const flash = result.failed.length
        ? { tone: result.done.length ? ('warning' as const) : ('danger' as const), text: `${n(result.done.length)} ${word}; ${result.failed.length} could not be.` }
        : { tone: 'success' as const, text: `${n(result.done.length)} ${word}.` };
      const status = result.done.length === 0 ? FAILURE_STATUS[result.failed[0].reason] : 200;
      await render(res, session, activity, { flash, batch: result }, status);
    }),
  );

  return router;
}
