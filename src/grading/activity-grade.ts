/**
 * One way for every activity kind to put a grade in the LMS gradebook: recordActivityGrade. It
 * needs no LTI session — the platform, deployment and gradebook column come from the activity —
 * so an emailed mentor's action or a scheduled job records grades as a faculty launch does.
 */
import type { Activity } from '../activities/activity.model';
import { findLtiUser } from '../lti/lti-user.model';
import { kickGradeSender } from './grade-sender';
import type { ActivityProgress, GradingProgress } from './outbox.model';
import { listGradeSyncRecords, recordGradeChange } from './outbox.service';
import { markDue } from './outbox-delivery';

export interface ActivityGrade {
  candidateSub: string;
  /** null = progress only (no score shown in the LMS). */
  scoreGiven: number | null;
  activityProgress: ActivityProgress;
  gradingProgress: GradingProgress;
  comment?: string;
  /** When the caller knows better than the last launch (faculty grading from the roster). */
  candidateName?: string;
  isTestUser?: boolean;
}

/** `kick: false` when the caller sends the grade itself right away (faculty's form says "sent"). */
export async function recordActivityGrade(activity: Activity, grade: ActivityGrade, options: { kick?: boolean } = {}): Promise<void> {
  const user = grade.candidateName === undefined || grade.isTestUser === undefined ? await findLtiUser(activity.iss, grade.candidateSub) : null;
  await recordGradeChange({
    activityId: String(activity._id),
    contextId: activity.contextId ?? null,
    iss: activity.iss,
    clientId: activity.clientId,
    deploymentId: activity.deploymentId,
    lineItemUrl: activity.lineItemUrl ?? null,
    userSub: grade.candidateSub,
    userName: grade.candidateName ?? user?.name ?? undefined,
    scoreGiven: grade.scoreGiven,
    scoreMaximum: activity.pointsPossible,
    activityProgress: grade.activityProgress,
    gradingProgress: grade.gradingProgress,
    comment: grade.comment,
    isTestUser: grade.isTestUser ?? user?.isTestUser ?? false,
  });
  if (options.kick !== false) kickGradeSender();
}

/**
 * A launch has just named the activity's gradebook column: grades recorded before it was known
 * (they wait as 'retrying') are due now — the sender takes the column from the activity. Asked of
 * the send queue only: the outbox documents belong to whoever records changes.
 */
export async function releaseGradesWaitingForLineItem(activityId: string, _lineItemUrl: string): Promise<number> {
  const waiting = (await listGradeSyncRecords(activityId)).filter((r) => !r.lineItemUrl && (r.state === 'pending' || r.state === 'retrying'));
  const now = new Date();
  for (const record of waiting) await markDue(record, now, { isRetry: true });
  if (waiting.length > 0) kickGradeSender();
  return waiting.length;
}
