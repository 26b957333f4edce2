/**
 * Completion grading for practicum logs.
 *
 * Decision: in 'completion' mode the score is pointsPossible × completion, where completion is the
 * mean of every requirement's fraction (hours, each category minimum, each required setting, weeks,
 * the summer rule). It moves in step with approved hours, and reaches full points only when every
 * requirement is met — hours alone never earn full marks when a required setting is missing.
 * gradingProgress is FullyGraded only then; before that the LMS shows a Pending partial score.
 * In 'faculty-score' mode nothing is computed: faculty send the score themselves.
 */
import type { PracticumSettings } from './practicum-settings';
import type { ProgressSummary } from './progress.service';

/** The shape the grade outbox (src/grading/outbox.service.ts, in progress) is expected to take. */
export interface PracticumGradeChange {
  activityId: string;
  iss: string;
  contextId: string | null;
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  activityProgress: 'InProgress' | 'Completed';
  gradingProgress: 'Pending' | 'FullyGraded';
  comment: string;
}

export function completionScore(summary: ProgressSummary, pointsPossible: number): number {
  return Math.round(pointsPossible * summary.completion * 100) / 100;
}

/**
 * The grade change to queue after an entry was approved (or un-approved), or null when nothing is
 * to be sent: faculty-score mode, an LMS test user, or the same score as last computed.
 */
export function gradeChangeFor(input: {
  activity: { _id: unknown; iss: string; contextId: string | null; pointsPossible: number };
  settings: PracticumSettings;
  summary: ProgressSummary;
  candidateSub: string;
  isTestUser?: boolean;
  previousScore: number | null;
}): PracticumGradeChange | null {
  if (input.settings.gradingMode !== 'completion' || input.isTestUser) return null;
  const scoreGiven = completionScore(input.summary, input.activity.pointsPossible);
  if (input.previousScore === scoreGiven) return null;
  const s = input.summary;
  return {
    activityId: String(input.activity._id),
    iss: input.activity.iss,
    contextId: input.activity.contextId,
    userId: input.candidateSub,
    scoreGiven,
    scoreMaximum: input.activity.pointsPossible,
    activityProgress: s.isComplete ? 'Completed' : 'InProgress',
    gradingProgress: s.isComplete ? 'FullyGraded' : 'Pending',
    comment: `${s.countedHours} of ${s.requiredHours} hours approved${s.isComplete ? '; all requirements met' : ''}.`,
  };
}
