/**
 * The practicum log's part of the emailed mentor's home page (ActivityKind.externalAwaiting): per
 * practicum activity of the mentor's reach, the entries awaiting their verification, what was reviewed
 * recently, and the candidates' hour logs (views/partials/practicum/mentor-home.hbs).
 */
import type { ExternalHomePart, ExternalReach } from '../activities/activity-kind';
import { kindReachOf, type KindReach } from '../activities/external-home';
import type { FieldErrors } from '../platform/validate';
import { PracticumEntryModel } from './practicum-entry.model';
import { externalEntryScope } from './practicum.policy';
import { presentEntry } from './practicum.presenter';
import { PRACTICUM } from './practicum.routes';

/** One practicum activity of the mentor's reach, with the candidates they may work on there. */
export type PracticumReach = KindReach;

/** What the mentor's own action keeps for the re-rendered page (routes → home.render → this part). */
export interface MentorPageState {
  /** The reach the action already read (not read again for the page). */
  reach?: PracticumReach[];
  /** What was typed and ticked, kept on a 400. */
  kept?: { comment: string; selected: string[]; errors: FieldErrors };
}

/** The practicum activities of the reach's courses, each with the reach's candidates of its course. */
export const practicumReachOf = (reach: ExternalReach): Promise<PracticumReach[]> => kindReachOf(reach, PRACTICUM);

async function buildSection(reach: PracticumReach, selected: Set<string>) {
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

/** The mentor page's practicum sections, in the order the partial renders them. */
export const MENTOR_SECTIONS = [
  { id: 'to-verify', label: 'To verify' },
  { id: 'verified', label: 'Verified' },
  { id: 'hour-logs', label: 'Hour logs' },
];

/** The practicum part of the mentor's home page (null: no practicum activity in their reach). */
export async function practicumExternalPart(reach: ExternalReach, state?: MentorPageState): Promise<ExternalHomePart | null> {
  const practicum = state?.reach ?? (await practicumReachOf(reach));
  if (practicum.length === 0) return null;
  const selected = new Set(state?.kept?.selected ?? []);
  const sections = await Promise.all(practicum.map((r) => buildSection(r, selected)));
  const awaitingCount = sections.reduce((n, sec) => n + sec.awaiting.length, 0);
  return {
    awaiting: { count: awaitingCount, label: awaitingCount === 1 ? 'entry to verify' : 'entries to verify' },
    sections: MENTOR_SECTIONS,
    covers: {
      candidateNames: practicum.flatMap((r) => [...r.candidateNames.values()]),
      courseTitles: practicum.map((r) => r.courseTitle),
      activityTitles: practicum.map((r) => r.activity.title),
    },
    partial: 'practicum/mentor-home',
    model: {
      s: reach.session.token,
      // Several practicum activities (courses) in reach: each block is named; one needs no sub-heading.
      several: sections.length > 1,
      sections,
      awaitingCount,
      hasRecent: sections.some((sec) => sec.recent.length > 0),
      hourLogs: sections.flatMap((sec) => sec.hourLogs.map((h) => ({ ...h, activityTitle: sec.activityTitle, courseTitle: sec.courseTitle }))),
      comment: state?.kept?.comment ?? '',
      errors: state?.kept?.errors ?? {},
    },
  };
}
