/**
 * What a score POST does in the LMS a Sandbox course imitates, as read in the LMSs' source (the
 * findings are spelled out in src/practicum/practicum-grade.ts):
 * - Canvas: app/controllers/lti/ims/scores_controller.rb — `reset_score?` (not FullyGraded or
 *   PendingManual, or no scoreGiven) sets the submission score to nil unless the Canvas submission
 *   extension asks to `preserve_score`; otherwise the score is written.
 * - Moodle: mod/lti/service/gradebookservices/classes/local/resources/scores.php — scoreGiven is
 *   nulled unless FullyGraded, scoreMaximum defaults to 1, a score not newer than the stored grade
 *   is refused with 409; classes/local/service/gradebookservices.php writes rawgrade = null when no
 *   scoreGiven is left.
 * Not modelled: Moodle compares whole seconds (strtotime), so a real Moodle also refuses a second
 * score within the same second; PendingManual's needs-review flag in Canvas.
 */
import type { ScoreBody } from './ags.schemas';
import { canvasError, SandboxError } from './sandbox.errors';
import type { ScoringMode } from './sandbox.types';

/** What happens to the gradebook cell: written, emptied, or left as it was. */
export type CellEffect = { kind: 'write'; scoreGiven: number; scoreMaximum: number | null } | { kind: 'clear' } | { kind: 'keep' };

export interface ScoringRules {
  label: string;
  /** One sentence for the gradebook page. */
  summary: string;
  /** Refuses scoreGiven without scoreMaximum (Moodle reads it as 1 instead). */
  requiresMaximumWithScore: boolean;
  refusal(status: number, message: string): SandboxError;
  notGradable: { status: number; message: string };
  /** Whether a score stamped `timestamp` comes too late after one stamped `last`. */
  isStale(timestamp: Date, last: Date): boolean;
  /** The same rule as a query condition on the stored latest timestamp: what lets `timestamp` in. */
  acceptsAfter(timestamp: Date): { $lte: Date } | { $lt: Date };
  stale(lineItemId: string, userId: string): { status: number; message: string };
  cellEffect(score: ScoreBody): CellEffect;
}

const CANVAS_SUBMISSION_EXTENSION = 'https://canvas.instructure.com/lti/submission';
const CANVAS_GRADE_WRITING = ['FullyGraded', 'PendingManual'];
/** Canvas casts extension flags with ActiveRecord's boolean rules. */
const isTrue = (v: unknown): boolean => v === true || v === 'true' || v === 1 || v === '1';

/**
 * Moodle answers a refused score with its reason in the HTTP status line only: scores.php leaves
 * the body at "[]" (mod/lti/classes/local/ltiservice/response.php sends it as is).
 */
function moodleRefusal(status: number, message: string): SandboxError {
  return new SandboxError(status, 'moodle_refused', message, []);
}

export const SCORING_RULES: Record<ScoringMode, ScoringRules> = {
  canvas: {
    label: 'Canvas',
    summary: 'A score writes the grade only with gradingProgress FullyGraded or PendingManual and a scoreGiven; any other score clears the grade.',
    requiresMaximumWithScore: true,
    refusal: (status, message) => canvasError(status, status === 422 ? 'unprocessable_entity' : 'bad_request', message),
    notGradable: { status: 422, message: 'User not found in course or is not a student' },
    isStale: (timestamp, last) => timestamp.getTime() < last.getTime(),
    acceptsAfter: (timestamp) => ({ $lte: timestamp }),
    stale: () => ({ status: 400, message: 'score timestamp not valid' }),
    cellEffect(score) {
      const extension = score[CANVAS_SUBMISSION_EXTENSION] as { preserve_score?: unknown } | undefined;
      if (isTrue(extension?.preserve_score)) return { kind: 'keep' };
      if (!CANVAS_GRADE_WRITING.includes(score.gradingProgress) || score.scoreGiven == null) return { kind: 'clear' };
      return { kind: 'write', scoreGiven: score.scoreGiven, scoreMaximum: score.scoreMaximum ?? null };
    },
  },
  moodle: {
    label: 'Moodle',
    summary: 'A score writes the grade only with gradingProgress FullyGraded and a scoreGiven (a missing scoreMaximum counts as 1); any other score, PendingManual included, clears the grade.',
    requiresMaximumWithScore: false,
    refusal: moodleRefusal,
    notGradable: { status: 400, message: 'Incorrect score received' },
    isStale: (timestamp, last) => last.getTime() >= timestamp.getTime(),
    acceptsAfter: (timestamp) => ({ $lt: timestamp }),
    stale: (lineItemId, userId) => ({ status: 409, message: `Refusing score with an earlier timestamp for item ${lineItemId} and user ${userId}` }),
    cellEffect(score) {
      if (score.gradingProgress !== 'FullyGraded' || score.scoreGiven == null) return { kind: 'clear' };
      return { kind: 'write', scoreGiven: score.scoreGiven, scoreMaximum: score.scoreMaximum ?? 1 };
    },
  },
};
