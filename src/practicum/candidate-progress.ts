/**
 * The practicum log's answer to ActivityKind.progress: where each candidate stands, in plain words,
 * from their progress document (read by its _id, one per candidate: on the embedded database any
 * other filter reads the whole collection) and the same computation the candidate's own page uses.
 */
import type { CandidateProgress } from '../activities/activity-kind';
import type { Activity } from '../activities/activity.model';
import { withTransientRetry } from '../platform/transient';
import { PracticumProgressModel } from './practicum-progress.model';
import { effectiveRules, readSettings, termOf } from './practicum-settings';
import { todayIso } from './practicum.page';
import { itemsAsEntries, progressId, type ProgressItem } from './progress-store';
import { computeProgress, type ProgressSummary } from './progress.service';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

function describe(summary: ProgressSummary, entryCount: number): CandidateProgress {
  const requirements = [summary.hours, ...summary.categories, ...summary.settings, ...(summary.weeks ? [summary.weeks] : []), ...(summary.summer ? [summary.summer] : [])];
  const met = requirements.filter((r) => r.isMet).length;
  const hours = `${number.format(summary.hours.counted)} of ${number.format(summary.hours.required)} ${summary.hours.required === 1 ? 'hour' : 'hours'} counted`;
  const others = requirements.length > 1 ? `; ${met} of ${requirements.length} requirements met` : '';
  // 99.6 % rounds to 100 %: a bar never reads full while something is still missing.
  const percent = summary.isComplete ? 100 : Math.min(99, Math.round(summary.completion * 100));
  return {
    label: summary.isComplete ? 'Complete' : entryCount > 0 ? 'In progress' : 'Not started',
    percent,
    isComplete: summary.isComplete,
    summary: `${hours}${others}.`,
  };
}

/** Progress of each candidate asked for (each in the answer; one without a document has done nothing yet). */
export async function practicumProgress(activity: Activity, candidateSubs: readonly string[], today = todayIso()): Promise<Map<string, CandidateProgress>> {
  const settings = readSettings(activity.settings);
  const rules = effectiveRules(settings);
  const term = termOf(settings);
  const subs = [...new Set(candidateSubs)];
  const docs = await Promise.all(
    subs.map((sub) => withTransientRetry(() => PracticumProgressModel.findOne({ _id: progressId(activity._id, sub) }, { items: 1 }).lean()) as Promise<{ items?: Record<string, ProgressItem> | null } | null>),
  );
  return new Map(
    subs.map((sub, i) => {
      const entries = itemsAsEntries(docs[i]?.items ?? {});
      return [sub, describe(computeProgress(entries, rules, term, today), entries.length)];
    }),
  );
}
