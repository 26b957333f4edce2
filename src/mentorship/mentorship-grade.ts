/**
 * The completion grade of a mentorship activity: points × counted check-ins / required (at most
 * full points), recomputed from all of the candidate's check-ins after every change, and compared
 * with what the grade outbox holds — not with a copy of its own — so a grade whose outbox write was
 * lost is recorded again by the next change or by reconciliation. A sign-off taken back (faculty
 * return) lowers the grade the same way. Faculty-score placements compute nothing.
 */
import { ActivityModel, type Activity } from '../activities/activity.model';
import { recordActivityGrade } from '../grading/activity-grade';
import { recordGradeRepair } from '../grading/grade-repair';
import { getGradeSync } from '../grading/outbox.service';
import { withTransientRetry } from '../platform/transient';
import { CheckInModel, type CheckIn } from './checkin.model';
import { computeCompliance, type Compliance } from './compliance';
import { readMentorshipSettings, type MentorshipSettings } from './mentorship-settings';
import { reconcileOfferedHours } from './practicum-hours';

import { MENTORSHIP } from './mentorship-type';

/** The day the cadence counts from when no term is set: the activity's first day. */
export const cadenceStart = (activity: Pick<Activity, 'createdAt'> & { createdAt?: Date }) => (activity.createdAt ?? new Date()).toISOString().slice(0, 10);

export function scoreFor(settings: MentorshipSettings, compliance: Compliance, pointsPossible: number): number {
  return Math.round(pointsPossible * Math.min(1, compliance.counted / Math.max(1, compliance.requiredForTerm)) * 100) / 100;
}

function commentFor(settings: MentorshipSettings, c: Compliance): string {
  return `${c.counted} of ${c.requiredForTerm} required check-ins ${settings.requiresSignOff ? 'signed off by the mentor' : 'held'}.`;
}

/**
 * Records the candidate's grade when it differs from what the outbox holds. Returns whether a
 * grade was recorded. Nothing is sent for a score of 0 the LMS was never told (nothing to lower).
 */
export async function settleMentorshipGrade(activity: Activity, candidateSub: string, today: string, options: { checkIns?: CheckIn[] } = {}): Promise<boolean> {
  const settings = readMentorshipSettings(activity.settings);
  if (settings.gradingMode !== 'completion' || activity.isGraded === false) return false;
  const checkIns = options.checkIns ?? (await withTransientRetry(() => CheckInModel.find({ activityId: activity._id, candidateSub }).lean<CheckIn[]>()));
  const compliance = computeCompliance(settings, checkIns, today, cadenceStart(activity));
  const score = scoreFor(settings, compliance, activity.pointsPossible);
  const sync = await withTransientRetry(() => getGradeSync(String(activity._id), candidateSub));
  if (sync ? sync.scoreGiven === score : score === 0) return false;
  await withTransientRetry(() =>
    recordActivityGrade(activity, { candidateSub, scoreGiven: score, activityProgress: compliance.isComplete ? 'Completed' : 'InProgress', gradingProgress: 'FullyGraded', comment: commentFor(settings, compliance) }),
  );
  return true;
}

/**
 * Grades the outbox does not hold as the check-ins say (a lost write, a change made while the
 * grade write failed) are recorded again. One pass over mentorship activities: a background job.
 */
export async function reconcileMentorshipGrades(today: string): Promise<number> {
  const activities = (await ActivityModel.find({ type: MENTORSHIP }).lean()) as Activity[];
  let repaired = 0;
  for (const activity of activities) {
    repaired += await reconcileOfferedHours(activity);
    const settings = readMentorshipSettings(activity.settings);
    if (settings.gradingMode !== 'completion' || activity.isGraded === false) continue;
    const checkIns = await CheckInModel.find({ activityId: activity._id }).lean<CheckIn[]>();
    const byCandidate = new Map<string, CheckIn[]>();
    for (const c of checkIns) byCandidate.set(c.candidateSub, [...(byCandidate.get(c.candidateSub) ?? []), c]);
    for (const [candidateSub, own] of byCandidate) {
      const before = await getGradeSync(String(activity._id), candidateSub);
      if (await settleMentorshipGrade(activity, candidateSub, today, { checkIns: own })) {
        repaired += 1;
        await recordGradeRepair({
          activityId: String(activity._id),
          userSub: candidateSub,
          what: before ? 'The gradebook was waiting for a newer grade than Fieldbook had queued; Fieldbook’s regular check queued it again.' : 'This grade had not been queued for the gradebook; Fieldbook’s regular check queued it.',
        });
      }
    }
  }
  return repaired;
}
