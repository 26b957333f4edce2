import { fromNow, localTimeHtml } from '../platform/local-time';
import type { GradeSyncView } from './outbox.service';

const STATE_LABELS: Record<GradeSyncView['state'], string> = {
  pending: 'Waiting to send',
  retrying: 'Will retry',
  sent: 'Sent',
  failed: 'Refused by the LMS',
  skipped: 'Not sent (test user)',
};

const BADGES: Record<GradeSyncView['state'], string> = {
  pending: 'text-bg-secondary',
  retrying: 'text-bg-warning',
  sent: 'text-bg-success',
  failed: 'text-bg-danger',
  skipped: 'text-bg-light',
};

/**
 * A <time> the viewer's browser shows in their own zone (public/js/local-time.js); a plain date
 * without the script. Pages never say "UTC": in an LMS iframe people read it as a wrong time.
 */
export function formatInstant(date: Date | null) {
  return date ? localTimeHtml(date) || null : null;
}

/**
 * A grade without a score is sent without scoreGiven (FullyGraded): Canvas and Moodle then empty
 * the gradebook cell, so it reads as cleared, never as "Sent 0 / 50".
 */
const CLEAR_LABELS: Partial<Record<GradeSyncView['state'], string>> = {
  pending: 'Waiting to clear the LMS grade',
  retrying: 'Will retry clearing',
  sent: 'Cleared in the LMS',
};
const NOTHING_SHOWN = 'Nothing shown';

const points = (given: number | null, max: number | null): string => (given === null ? NOTHING_SHOWN : `${given} / ${max ?? '?'}`);

function stateLabel(view: GradeSyncView): string {
  return (view.scoreGiven === null ? CLEAR_LABELS[view.state] : undefined) ?? STATE_LABELS[view.state];
}

/** Every send stores its maximum, so a sent grade without a score was a clear (not "never sent"). */
function lastSent(view: GradeSyncView): string | null {
  if (view.lastSentMaximum === null) return null;
  return view.lastSentScore === null ? 'Cleared' : points(view.lastSentScore, view.lastSentMaximum);
}

/** One row of the faculty "Grade sync" table. */
export function presentGradeSyncRow(view: GradeSyncView) {
  return {
    userSub: view.userSub,
    name: view.userName,
    state: view.state,
    stateLabel: stateLabel(view),
    badge: BADGES[view.state],
    value: points(view.scoreGiven, view.scoreMaximum),
    lastSent: lastSent(view),
    reason: view.reason,
    attempts: view.attempts,
    nextAttempt: view.state === 'retrying' || view.state === 'pending' ? formatInstant(view.nextAttemptAt) : null,
    canRetry: view.canRetry,
  };
}

/** The message under the grade form after faculty sent a grade (or retried one). */
export function presentGradeOutcome(view: GradeSyncView) {
  const base = { name: view.userName, value: points(view.scoreGiven, view.scoreMaximum), state: view.state };
  switch (view.state) {
    case 'sent':
      if (view.scoreGiven === null) return { ...base, tone: 'success', testId: 'score-sent', text: `Cleared the LMS grade for ${view.userName}.` };
      return { ...base, tone: 'success', testId: 'score-sent', text: `Sent ${base.value} for ${view.userName} to the LMS gradebook.` };
    case 'skipped':
      return { ...base, tone: 'info', testId: 'score-skipped', text: `${view.userName}: ${view.reason ?? 'not sent'}.` };
    case 'failed':
      return { ...base, tone: 'danger', testId: 'score-failed', text: `Refused by the LMS for ${view.userName}: ${view.reason ?? 'no reason given'}. Fix the cause in the LMS, then retry below.` };
    default: {
      const when = fromNow(view.nextAttemptAt);
      const why = view.reason ? ` (${view.reason})` : '';
      const text = view.state === 'retrying' ? `The grade for ${view.userName} is saved; the LMS could not take it yet${why}. It will try again ${when}.` : `The grade for ${view.userName} is saved and waiting to send.`;
      return { ...base, tone: 'warning', testId: 'score-queued', text };
    }
  }
}

/** HTTP status for the grade form answer: the grade is always kept; the status says how far it got. */
export function statusForOutcome(state: GradeSyncView['state']): number {
  if (state === 'failed') return 502;
  if (state === 'pending' || state === 'retrying') return 202;
  return 200;
}
