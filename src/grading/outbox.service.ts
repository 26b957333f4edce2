import { updateRaw } from '../platform/database/direct';
import { badRequest, isDuplicateKeyError, notFound } from '../platform/errors';
import { deliveryOf, ensureIndexes, isCurrent, isRetryAsked, markDue, type Delivery } from './outbox-delivery';
import { ACTIVITY_PROGRESS, GRADING_PROGRESS, GradeDeliveryModel, GradeDueModel, GradeOutboxModel, gradeSyncId, type ActivityProgress, type GradeDue, type GradeOutbox, type GradingProgress, type SyncState } from './outbox.model';

export { claimDueGrade, claimGrade, completeFailed, completeSent, findDueGrades, MAX_CLAIM_READ_AGE_MS, purgeOldClaimTickets, requeueStuckGrades, type ClaimedGrade } from './outbox-delivery';

export const TEST_USER_REASON = 'LMS test user — no grade is sent';

/** A grade the LMS should have for one candidate in one activity. */
export interface GradeChange {
  activityId: string;
  contextId: string | null;
  iss: string;
  clientId: string;
  deploymentId: string;
  /** AGS line item URL, or null while no launch has named the activity's column (the grade waits). */
  lineItemUrl: string | null;
  userSub: string;
  userName?: string;
  /** null = progress only, no score. */
  scoreGiven: number | null;
  scoreMaximum: number;
  activityProgress: ActivityProgress;
  gradingProgress: GradingProgress;
  comment?: string;
  isTestUser: boolean;
}

/** What faculty see per candidate in the "Grade sync" table. */
export interface GradeSyncView {
  userSub: string;
  userName: string;
  state: SyncState;
  scoreGiven: number | null;
  scoreMaximum: number;
  lastSentScore: number | null;
  lastSentMaximum: number | null;
  sentAt: Date | null;
  reason: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  changedAt: Date;
  canRetry: boolean;
}

function assertChange(change: GradeChange): void {
  if (!change.activityId || !change.userSub || !change.iss || !change.clientId) {
    throw badRequest('grade_change_incomplete', 'A grade change needs an activity, a person and a platform.');
  }
  if (!Number.isFinite(change.scoreMaximum) || change.scoreMaximum <= 0) throw badRequest('grade_change_maximum', 'The maximum score must be a positive number.');
  if (change.scoreGiven !== null && (!Number.isFinite(change.scoreGiven) || change.scoreGiven < 0)) {
    throw badRequest('grade_change_score', 'The score must be a number of at least 0.');
  }
  if (!ACTIVITY_PROGRESS.includes(change.activityProgress) || !GRADING_PROGRESS.includes(change.gradingProgress)) {
    throw badRequest('grade_change_progress', 'Unknown activity or grading progress.');
  }
}

/**
 * Records the grade the LMS should have: one upsert of the outbox document by _id (the latest
 * change wins, `version` counts changes), then its send-queue entry (markDue) — in that order, so
 * a send in flight finds the newer change when it checks after sending. FerretDB upserts are
 * query-then-insert, so a racing insert hits the unique index and is retried as an update. Test
 * users are recorded and never queued (skipped).
 */
export async function recordGradeChange(change: GradeChange): Promise<void> {
  assertChange(change);
  await ensureIndexes();
  const now = new Date();
  const update = {
    $set: {
      contextId: change.contextId,
      iss: change.iss,
      clientId: change.clientId,
      deploymentId: change.deploymentId,
      // A column given once is never forgotten by a later change made without one.
      ...(change.lineItemUrl ? { lineItemUrl: change.lineItemUrl } : {}),
      userName: change.userName ?? '',
      isTestUser: change.isTestUser,
      scoreGiven: change.scoreGiven,
      scoreMaximum: change.scoreMaximum,
      activityProgress: change.activityProgress,
      gradingProgress: change.gradingProgress,
      comment: change.comment || null,
      changedAt: now,
    },
    $inc: { version: 1 },
  };
  let id: GradeOutbox['_id'] = gradeSyncId(change.activityId, change.userSub);
  // Through the driver (one per grade change; mongoose's machinery cost more than the write):
  // every value above is of its stored type already, and updateRaw adds what mongoose's upsert
  // added — the schema's defaults and version key on insert, createdAt/updatedAt.
  const write = () => updateRaw(GradeOutboxModel, { _id: id }, { ...update, $setOnInsert: { activityId: change.activityId, userSub: change.userSub } }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // A racing first change (FerretDB upserts are query-then-insert), or a document recorded before
    // documents were keyed by gradeSyncId: the (activityId, userSub) index names it.
    if ((await updateRaw(GradeOutboxModel, { _id: id }, update)).matchedCount === 0) {
      const legacy = await GradeOutboxModel.findOneAndUpdate({ activityId: change.activityId, userSub: change.userSub }, update, { new: true }).lean<GradeOutbox>();
      if (legacy) id = legacy._id;
    }
  }
  if (!change.isTestUser) await markDue({ _id: id, activityId: change.activityId, userSub: change.userSub }, now);
}

/** One candidate's outbox document in one activity. */
async function findSync(activityId: string, userSub: string): Promise<GradeOutbox | null> {
  return (
    (await GradeOutboxModel.findOne({ _id: gradeSyncId(activityId, userSub) }).lean<GradeOutbox>()) ??
    GradeOutboxModel.findOne({ activityId, userSub }).lean<GradeOutbox>()
  );
}

/**
 * One grade's sync state as earlier versions kept it in the outbox document: the wanted grade
 * (outbox), what the last attempt did (delivery) and whether a send is queued (queue entry). A
 * change recorded since the last attempt, or a retry asked for, reads as pending.
 */
export type GradeSyncRecord = GradeOutbox & {
  state: SyncState;
  reason: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lockedBy: string | null;
  lockedUntil: Date | null;
  claimCount: number;
  sentVersion: number;
  sentScoreGiven: number | null;
  sentScoreMaximum: number | null;
  sentTimestamp: Date | null;
  sentAt: Date | null;
};

function mergeSync(outbox: GradeOutbox, stored: Delivery | null, due: GradeDue | null): GradeSyncRecord {
  const delivery = deliveryOf(outbox, stored);
  const base = {
    ...outbox,
    lineItemUrl: outbox.lineItemUrl ?? null,
    lastAttemptAt: delivery?.lastAttemptAt ?? null,
    lockedBy: delivery?.lockedBy ?? null,
    lockedUntil: delivery?.lockedUntil ?? null,
    claimCount: delivery?.claimCount ?? 0,
    sentVersion: delivery?.sentVersion ?? 0,
    sentScoreGiven: delivery?.sentScoreGiven ?? null,
    sentScoreMaximum: delivery?.sentScoreMaximum ?? null,
    sentTimestamp: delivery?.sentTimestamp ?? null,
    sentAt: delivery?.sentAt ?? null,
  };
  if (outbox.isTestUser) return { ...base, state: 'skipped', reason: TEST_USER_REASON, attempts: 0, nextAttemptAt: null };
  if (isCurrent(delivery, outbox) && delivery.state && !isRetryAsked(due, delivery)) {
    return { ...base, state: delivery.state as SyncState, reason: delivery.reason ?? null, attempts: delivery.attempts, nextAttemptAt: delivery.nextAttemptAt ?? null };
  }
  return { ...base, state: 'pending', reason: null, attempts: 0, nextAttemptAt: due?.dueAt ?? outbox.changedAt };
}

/** One candidate's grade sync record in one activity (three reads by _id), or null. */
export async function readGradeSyncRecord(activityId: string, userSub: string): Promise<GradeSyncRecord | null> {
  const outbox = await findSync(activityId, userSub);
  if (!outbox) return null;
  const [delivery, due] = await Promise.all([GradeDeliveryModel.findOne({ _id: outbox._id }).lean<Delivery>(), GradeDueModel.findOne({ _id: outbox._id }).lean<GradeDue>()]);
  return mergeSync(outbox, delivery, due);
}

function presentSync(doc: GradeSyncRecord): GradeSyncView {
  return {
    userSub: doc.userSub,
    userName: doc.userName || doc.userSub,
    state: doc.state,
    scoreGiven: doc.scoreGiven ?? null,
    scoreMaximum: doc.scoreMaximum,
    lastSentScore: doc.sentVersion > 0 ? doc.sentScoreGiven : null,
    lastSentMaximum: doc.sentVersion > 0 ? doc.sentScoreMaximum : null,
    sentAt: doc.sentAt,
    reason: doc.reason,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt,
    changedAt: doc.changedAt,
    canRetry: doc.state === 'failed' || doc.state === 'retrying',
  };
}

/** Every candidate's grade sync record for one activity (per-candidate documents: O(cohort)). */
export async function listGradeSyncRecords(activityId: string): Promise<GradeSyncRecord[]> {
  const [docs, deliveries, queued] = await Promise.all([
    GradeOutboxModel.find({ activityId }).sort({ userName: 1, userSub: 1 }).lean<GradeOutbox[]>(),
    GradeDeliveryModel.find({ activityId }).lean<Delivery[]>(),
    GradeDueModel.find({ activityId }).lean<GradeDue[]>(),
  ]);
  const deliveryById = new Map(deliveries.map((d) => [String(d._id), d]));
  const dueById = new Map(queued.map((d) => [String(d._id), d]));
  return docs.map((doc) => mergeSync(doc, deliveryById.get(String(doc._id)) ?? null, dueById.get(String(doc._id)) ?? null));
}

/** Every candidate's grade sync for one activity, as faculty see it. */
export async function listGradeSync(activityId: string): Promise<GradeSyncView[]> {
  return (await listGradeSyncRecords(activityId)).map(presentSync);
}

export async function getGradeSync(activityId: string, userSub: string): Promise<GradeSyncView | null> {
  const record = await readGradeSyncRecord(activityId, userSub);
  return record ? presentSync(record) : null;
}

/** Puts a refused or waiting grade back in line now (faculty's Retry button). */
export async function retryGradeSync(activityId: string, userSub: string): Promise<void> {
  const doc = await readGradeSyncRecord(activityId, userSub);
  if (!doc) throw notFound('grade_sync_not_found', 'There is no grade for this person in this activity.');
  if (doc.state === 'skipped') throw badRequest('grade_sync_test_user', TEST_USER_REASON);
  if (doc.state !== 'failed' && doc.state !== 'retrying') return;
  // Asked of the queue entry, not written to the delivery (only a claim holder writes that).
  await markDue(doc, new Date(), { isRetry: true });
}
