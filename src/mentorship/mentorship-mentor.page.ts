/**
 * Mentorship's part of the emailed mentor's home page (ActivityKind.externalAwaiting): per
 * check-in activity of the mentor's reach, their mentees' check-ins awaiting sign-off, planned
 * meetings, and each mentee's compliance line (views/partials/mentorship/external-home.hbs).
 * A pulse shows only when the candidate shared it.
 */
import type { ExternalHomePart, ExternalReach } from '../activities/activity-kind';
import { kindReachOf, type KindReach } from '../activities/external-home';
import type { FieldErrors } from '../platform/validate';
import { CheckInModel, type CheckIn } from './checkin.model';
import { computeCompliance } from './compliance';
import { cadenceStart } from './mentorship-grade';
import { MENTORSHIP } from './mentorship-type';
import { todayIso } from './mentorship.page';
import { externalScope } from './mentorship.policy';
import { presentCheckIn, presentCompliance } from './mentorship.presenter';
import { readMentorshipSettings } from './mentorship-settings';

export type MentorshipReach = KindReach;

export interface MentorshipPageState {
  reach?: MentorshipReach[];
  kept?: { comment: string; selected: string[]; errors: FieldErrors };
}

export const mentorshipReachOf = (reach: ExternalReach): Promise<MentorshipReach[]> => kindReachOf(reach, MENTORSHIP);

export const MENTORSHIP_MENTOR_SECTIONS = [
  { id: 'checkins-to-sign', label: 'Check-ins to sign off' },
  { id: 'mentees', label: 'Mentees’ check-ins' },
];

async function buildSection(r: MentorshipReach, selected: Set<string>, today: string) {
  const settings = readMentorshipSettings(r.activity.settings);
  const checkIns = await CheckInModel.find(externalScope(r.actor, r.activity)).sort({ date: 1, createdAt: 1 }).limit(2000).lean<CheckIn[]>();
  const present = (c: CheckIn) => ({ ...presentCheckIn(c, 'external', today, settings), candidateName: r.candidateNames.get(c.candidateSub) || c.candidateName, isSelected: selected.has(`${String(c._id)}:${c.version}`) });
  return {
    aid: String(r.activity._id),
    activityTitle: r.activity.title,
    courseTitle: r.courseTitle,
    requiresSignOff: settings.requiresSignOff,
    awaiting: settings.requiresSignOff ? checkIns.filter((c) => c.status === 'held').map(present) : [],
    upcoming: checkIns.filter((c) => c.status === 'planned' && c.date >= today).map(present),
    mentees: [...r.candidateNames].map(([sub, name]) => ({ name, compliance: presentCompliance(computeCompliance(settings, checkIns.filter((c) => c.candidateSub === sub), today, cadenceStart(r.activity)), settings) })),
  };
}

export async function mentorshipExternalPart(reach: ExternalReach, state?: MentorshipPageState): Promise<ExternalHomePart | null> {
  const mine = state?.reach ?? (await mentorshipReachOf(reach));
  if (mine.length === 0) return null;
  const today = todayIso();
  const selected = new Set(state?.kept?.selected ?? []);
  const sections = await Promise.all(mine.map((r) => buildSection(r, selected, today)));
  const awaitingCount = sections.reduce((n, s) => n + s.awaiting.length, 0);
  return {
    awaiting: { count: awaitingCount, label: awaitingCount === 1 ? 'check-in to sign off' : 'check-ins to sign off' },
    sections: MENTORSHIP_MENTOR_SECTIONS,
    covers: { candidateNames: mine.flatMap((r) => [...r.candidateNames.values()]), courseTitles: mine.map((r) => r.courseTitle), activityTitles: mine.map((r) => r.activity.title) },
    partial: 'mentorship/external-home',
    model: { s: reach.session.token, several: sections.length > 1, sections, awaitingCount, comment: state?.kept?.comment ?? '', errors: state?.kept?.errors ?? {} },
  };
}
