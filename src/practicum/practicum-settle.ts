/**
 * After entries change: the candidate's progress document and completion grade, recomputed from
 * the entries under the candidate's lock (progress-store.ts). The grade is compared with what the
 * grade outbox holds — not with a copy of its own — so a grade whose outbox write was lost is
 * queued again by the next settle or by reconciliation, never silently skipped.
 */
import { ActivityModel, type Activity } from '../activities/activity.model';
import { recordActivityGrade } from '../grading/activity-grade';
import { getGradeSync } from '../grading/outbox.service';
import { recordGradeRepair } from '../grading/grade-repair';
import { withTransientRetry } from '../platform/transient';
import { gradeChangeFor, scoreToShow, type PracticumGradeChange } from './practicum-grade';
import type { PracticumEntry } from './practicum-entry.model';
import { PracticumProgressModel } from './practicum-progress.model';
import { effectiveRules, readSettings } from './practicum-settings';
import { itemsAsEntries, progressId, settleItems, withCandidateLock, type ProgressItem } from './progress-store';
import { computeProgress } from './progress.service';

export interface SettleInput {
  activity: Activity;
  candidateSub: string;
  candidateName: string;
  /** The entries this change wrote (read again by _id). */
  entryIds: unknown[];
  /** An approval was given or taken back: the grade may change even if the LMS was never told one. */
  isApprovalChange: boolean;
  today: string;
  /** Receives the grade change instead of the outbox (unit tests). */
  onGradeChange?: (change: PracticumGradeChange) => Promise<void>;
  rebuild?: boolean;
  /** The changed entries as this request's write returned them: not read again (settleItems). */
  written?: PracticumEntry[];
}

/** What the LMS was last told to show, as the grade change compares it. */
function lastTold(input: { sync: { scoreGiven: number | null } | null; hadGrade: boolean; storedScore: number | null; expected: number | null; isUnitTest: boolean }): number | null {
  if (input.sync) return input.sync.scoreGiven;
  // Unit tests have no outbox: the stored copy stands in for it.
  if (input.isUnitTest || !input.hadGrade) return input.hadGrade ? input.storedScore : null;
  // Computed before, but the outbox document is missing (its write was lost): owed again. Comparing
  // with "nothing shown" records a score; comparing with the stored score records a clear.
  return input.expected === null ? input.storedScore : null;
}

/**
 * `stored` is the progress document as settleItems read it, under the same lock (its grade is
 * carried over unchanged): read again, it cost a database round trip inside every hold.
 */
async function settleGrade(input: SettleInput, items: Record<string, ProgressItem>, stored: { grade?: { scoreGiven?: number | null; computedAt?: Date | null } | null } | null): Promise<PracticumGradeChange | null> {
  const { activity, candidateSub } = input;
  const settings = readSettings(activity.settings);
  if (settings.gradingMode !== 'completion' || activity.isGraded === false) return null;
  const hadGrade = Boolean(stored?.grade?.computedAt);
  const storedScore = stored?.grade?.scoreGiven ?? null;
  // Nothing owed: no grade was computed for the candidate and no approval changed. Decided before
  // the outbox is read: for a candidate without a grade that read misses by _id and falls back to
  // a query of earlier versions' documents (a scan on the embedded database), once per submit at a
  // deadline. An outbox grade whose computedAt write was lost is met again at the next approval.
  if (!hadGrade && !input.isApprovalChange) return null;
  const summary = computeProgress(itemsAsEntries(items), effectiveRules(settings), { start: settings.termStart, end: settings.termEnd }, input.today);
  const expected = scoreToShow(settings, summary, activity.pointsPossible);
  const sync = input.onGradeChange ? null : await withTransientRetry(() => getGradeSync(String(activity._id), candidateSub));
  const previousScore = lastTold({ sync, hadGrade, storedScore, expected, isUnitTest: Boolean(input.onGradeChange) });
  const change = gradeChangeFor({ activity, settings, summary, candidateSub, previousScore });
  if (change) {
    if (input.onGradeChange) await input.onGradeChange(change);
    else await withTransientRetry(() => recordActivityGrade(activity, { candidateSub, scoreGiven: change.scoreGiven, activityProgress: change.activityProgress, gradingProgress: change.gradingProgress, comment: change.comment }));
  }
  await withTransientRetry(() =>
    PracticumProgressModel.updateOne({ _id: progressId(activity._id, candidateSub) }, { $set: { 'grade.scoreGiven': expected, 'grade.scoreMaximum': activity.pointsPossible, 'grade.computedAt': new Date() } }),
  );
  return change;
}

/** Recomputes the candidate's progress from the changed entries, then their completion grade. */
export async function settleCandidate(input: SettleInput): Promise<PracticumGradeChange | null> {
  return (await settleCandidateProgress(input)).change;
}

/**
 * settleCandidate, also answering the progress items it wrote: the page rendered after a save
 * shows them instead of reading the document again.
 */
export function settleCandidateProgress(input: SettleInput): Promise<SettleResult> {
  // Repairs and unit tests (their own grade sink) settle alone; everything else may share a turn.
  if (input.rebuild || input.onGradeChange) return settleUnderLock(input);
  const key = progressId(input.activity._id, input.candidateSub);
  return new Promise<SettleResult>((resolve, reject) => {
    const forming = formingBatches.get(key);
    if (forming) {
      forming.push({ input, resolve, reject });
      return;
    }
    const batch: Waiter[] = [{ input, resolve, reject }];
    formingBatches.set(key, batch);
    withCandidateLock(input.activity._id, input.candidateSub, () => {
      // The turn has come: the batch closes, and whoever arrives from now on forms the next one.
      if (formingBatches.get(key) === batch) formingBatches.delete(key);
      return settleItemsAndGrade(mergeInputs(batch.map((w) => w.input)));
    }).then(
      (result) => batch.forEach((w) => w.resolve(result)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  });
}

/** `written`: the entries the settle summarised as their writes returned them (every request of a shared turn). */
type SettleResult = { change: PracticumGradeChange | null; items: Record<string, ProgressItem>; written: PracticumEntry[] };
type Waiter = { input: SettleInput; resolve: (result: SettleResult) => void; reject: (err: unknown) => void };

/**
 * Settles of one candidate that wait for the same turn of the candidate's lock, by progress id.
 * At a deadline a candidate's three or four submits arrive together and each used to hold the lock
 * in turn — lock insert, progress read, replace, release, four round trips each — so the last one
 * answered after all the others (the burst's p95). Their entries are already written before they
 * queue; one turn reads the progress document once, brings every named entry in, writes it once
 * and answers all of them with the same result. The document stays a recomputation of its
 * entries (settleItems), so sharing a turn cannot make it wrong; a waiter never waits for more
 * than the turn it would have had.
 */
const formingBatches = new Map<string, Waiter[]>();

/** One settle for several requests: every entry they wrote, each at the newest version any of them wrote. */
function mergeInputs(inputs: SettleInput[]): SettleInput {
  if (inputs.length === 1) return inputs[0];
  const written = new Map<string, PracticumEntry>();
  for (const e of inputs.flatMap((i) => i.written ?? [])) {
    const seen = written.get(String(e._id));
    if (!seen || seen.version < e.version) written.set(String(e._id), e);
  }
  const ids = new Map(inputs.flatMap((i) => i.entryIds).map((id) => [String(id), id]));
  const last = inputs[inputs.length - 1];
  return {
    ...last,
    candidateName: [...inputs].reverse().find((i) => i.candidateName)?.candidateName ?? last.candidateName,
    entryIds: [...ids.values()],
    written: [...written.values()],
    isApprovalChange: inputs.some((i) => i.isApprovalChange),
    today: inputs.map((i) => i.today).sort().pop() ?? last.today,
  };
}

function settleUnderLock(input: SettleInput): Promise<SettleResult> {
  return withCandidateLock(input.activity._id, input.candidateSub, () => settleItemsAndGrade(input));
}

async function settleItemsAndGrade(input: SettleInput): Promise<SettleResult> {
  const ref = { activityId: input.activity._id, iss: input.activity.iss, contextId: input.activity.contextId ?? null, candidateSub: input.candidateSub, candidateName: input.candidateName };
  const { items, previous } = await settleItems(ref, input.entryIds, { rebuild: input.rebuild, written: input.written });
  return { change: await settleGrade(input, items, previous as Parameters<typeof settleGrade>[2]), items, written: input.written ?? [] };
}

/**
 * Completion grades the outbox does not hold as computed (its write was lost, or failed) are
 * recorded again. One scan of progress documents: a background job.
 */
export async function reconcilePracticumGrades(today: string): Promise<number> {
  const docs = await PracticumProgressModel.find({ 'grade.computedAt': { $ne: null } }, { activityId: 1, candidateSub: 1, candidateName: 1, grade: 1 }).lean();
  let repaired = 0;
  const activities = new Map<string, Activity | null>();
  for (const doc of docs) {
    const activityId = String(doc.activityId);
    const sync = await getGradeSync(activityId, doc.candidateSub);
    if (sync && sync.scoreGiven === (doc.grade?.scoreGiven ?? null)) continue;
    if (!activities.has(activityId)) activities.set(activityId, ((await ActivityModel.findOne({ _id: doc.activityId }).lean()) as Activity | null) ?? null);
    const activity = activities.get(activityId);
    if (!activity) continue;
    const change = await settleCandidate({ activity, candidateSub: doc.candidateSub, candidateName: doc.candidateName ?? '', entryIds: [], isApprovalChange: true, today });
    if (change) {
      repaired += 1;
      // Shown to faculty beside the grade: a repair they did not ask for must not go unseen.
      await recordGradeRepair({
        activityId,
        userSub: doc.candidateSub,
        what: sync ? 'The gradebook was waiting for a newer grade than Fieldbook had queued; Fieldbook’s regular check queued it again.' : 'This grade had not been queued for the gradebook; Fieldbook’s regular check queued it.',
      });
    }
  }
  return repaired;
}
