/**
 * Completion grading for practicum logs.
 *
 * What the LMSs do with a score POST, read in their source (not only their docs):
 * - Canvas, app/controllers/lti/ims/scores_controller.rb (current master): `reset_score?` is true
 *   unless gradingProgress is FullyGraded or PendingManual AND scoreGiven is present; then
 *   `score_submission` sets the submission score to nil (the extension flag `preserve_score` alone
 *   skips that). So (a) FullyGraded + scoreGiven writes the score, scaled to the assignment's
 *   points; (b) Pending / NotReady / Failed + scoreGiven CLEARS an existing grade ("scoreGiven
 *   ignored" in the docs), PendingManual + scoreGiven writes it and flags it for review; (c)
 *   FullyGraded without scoreGiven clears too. A 2018 version of the controller left the grade
 *   untouched in (b) and (c) instead — our Sandbox used to copy that. Lti::Result
 *   (app/models/lti/result.rb) lists ACCEPT_GIVEN_SCORE_TYPES = FullyGraded, PendingManual.
 * - Moodle, mod/lti/service/gradebookservices/classes/local/resources/scores.php: scoreGiven is
 *   set to null unless gradingProgress is FullyGraded (PendingManual included), a missing
 *   scoreMaximum becomes 1; classes/local/service/gradebookservices.php save_grade_item then writes
 *   rawgrade = null when there is no scoreGiven. So only (a) writes a grade, rescaled to the grade
 *   item's maximum; (b), (c) and every other value clear it (d).
 * Hence the one rule: every score Fieldbook sends is FullyGraded — the only value both LMSs write,
 * and, without scoreGiven, a clear both honour. A Pending partial score shows nothing in either
 * (and wipes a grade already there), which is why "Sent 25 / 50 (Pending)" was never true.
 *
 * gradingMode 'completion': score = pointsPossible × completion, where completion is the mean of
 * every requirement's fraction (hours, each category minimum, each required setting, weeks, the
 * summer rule); full points only when every requirement is met — hours alone never earn full
 * marks. partialCredit 'show' sends that score at every change, so a taken-back approval lowers it;
 * 'hide' sends nothing until complete and clears the grade when a complete candidate drops back.
 * 'faculty-score': nothing is computed; faculty send the score themselves.
 */
import type { GradeChange } from '../grading/outbox.service';
import type { PracticumSettings } from './practicum-settings';
import type { ProgressSummary } from './progress.service';

/** The outbox's GradeChange as the practicum knows it (the platform and column come from the caller). */
export type PracticumGradeChange = Pick<GradeChange, 'activityId' | 'iss' | 'contextId' | 'scoreGiven' | 'scoreMaximum' | 'activityProgress' | 'gradingProgress'> & {
  userId: string;
  comment: string;
};

export function completionScore(summary: ProgressSummary, pointsPossible: number): number {
  return Math.round(pointsPossible * summary.completion * 100) / 100;
}

/** What the LMS cell should show now: points, or null for an empty cell ('hide' before completion). */
export function scoreToShow(settings: PracticumSettings, summary: ProgressSummary, pointsPossible: number): number | null {
  if (settings.partialCredit === 'hide' && !summary.isComplete) return null;
  return completionScore(summary, pointsPossible);
}

function commentFor(s: ProgressSummary, scoreGiven: number | null): string {
  const hours = `${s.countedHours} of ${s.requiredHours} hours approved`;
  if (s.isComplete) return `${hours}; all requirements met.`;
  return scoreGiven === null ? `${hours}; the grade shows once every requirement is met.` : `${hours}.`;
}

/**
 * The grade change to queue after an entry was approved (or an approval taken back), or null
 * when nothing is to be sent: faculty-score mode, an LMS test user, or the LMS already shows
 * what it should. `previousScore` is what the LMS was last told to show (null: nothing).
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
  const s = input.summary;
  const scoreGiven = scoreToShow(input.settings, s, input.activity.pointsPossible);
  if (input.previousScore === scoreGiven) return null;
  return {
    activityId: String(input.activity._id),
    iss: input.activity.iss,
    contextId: input.activity.contextId,
    userId: input.candidateSub,
    scoreGiven,
    scoreMaximum: input.activity.pointsPossible,
    activityProgress: s.isComplete ? 'Completed' : 'InProgress',
    gradingProgress: 'FullyGraded',
    comment: commentFor(s, scoreGiven),
  };
}
