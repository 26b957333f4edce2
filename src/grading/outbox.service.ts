import { badRequest, isDuplicateKeyError, notFound } from '../platform/errors';
import { ACTIVITY_PROGRESS, GRADING_PROGRESS, GradeClaimTicketModel, GradeOutboxModel, gradeSyncId, type ActivityProgress, type GradeOutbox, type GradingProgress, type SyncState } from './outbox.model';

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

let indexesReady: Promise<unknown> | undefined;

/** The unique indexes exist before the first write: FerretDB upserts and claim tickets rely on them. */
function ensureIndexes(): Promise<unknown> {
  indexesReady ??= Promise.all([GradeOutboxModel.init(), GradeClaimTicketModel.init()]).catch((err: unknown) => {
    indexesReady = undefined;
    throw err;
  });
  return indexesReady;
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
 * Records the grade the LMS should have: one atomic upsert (the latest change wins, `version`
 * counts changes). FerretDB upserts are query-then-insert, so a racing insert hits the unique
 * index and is retried as an update. Test users are recorded as skipped and never sent.
 */
export async function recordGradeChange(change: GradeChange): Promise<void> {
  assertChange(change);
  await ensureIndexes();
  const now = new Date();
  const isSkipped = change.isTestUser;
  const update = {
    $set: {
      contextId: change.contextId,
      iss: change.iss,
      clientId: change.clientId,
      deploymentId: change.deploymentId,
      // A column learned since (releaseGradesWaitingForLineItem) is never forgotten by a later change.
      ...(change.lineItemUrl ? { lineItemUrl: change.lineItemUrl } : {}),
      userName: change.userName ?? '',
      isTestUser: change.isTestUser,
      scoreGiven: change.scoreGiven,
      scoreMaximum: change.scoreMaximum,
      activityProgress: change.activityProgress,
      gradingProgress: change.gradingProgress,
      comment: change.comment || null,
      changedAt: now,
      state: isSkipped ? 'skipped' : 'pending',
      reason: isSkipped ? TEST_USER_REASON : null,
      attempts: 0,
      nextAttemptAt: isSkipped ? null : now,
    },
    $inc: { version: 1 },
  };
  const id = gradeSyncId(change.activityId, change.userSub);
  const write = () => GradeOutboxModel.updateOne({ _id: id }, { ...update, $setOnInsert: { activityId: change.activityId, userSub: change.userSub } }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // A racing first change (FerretDB upserts are query-then-insert), or a document recorded before
    // documents were keyed by gradeSyncId: the (activityId, userSub) index names it.
    if ((await GradeOutboxModel.updateOne({ _id: id }, update)).matchedCount === 0) {
      await GradeOutboxModel.updateOne({ activityId: change.activityId, userSub: change.userSub }, update);
    }
  }
}

/** One candidate's outbox document in one activity. */
async function findSync(activityId: string, userSub: string): Promise<GradeOutbox | null> {
  return (
    (await GradeOutboxModel.findOne({ _id: gradeSyncId(activityId, userSub) }).lean<GradeOutbox>()) ??
    GradeOutboxModel.findOne({ activityId, userSub }).lean<GradeOutbox>()
  );
}

function presentSync(doc: GradeOutbox): GradeSyncView {
  return {
    userSub: doc.userSub,
    userName: doc.userName || doc.userSub,
    state: doc.state as SyncState,
    scoreGiven: doc.scoreGiven ?? null,
    scoreMaximum: doc.scoreMaximum,
    lastSentScore: doc.sentVersion > 0 ? (doc.sentScoreGiven ?? null) : null,
    lastSentMaximum: doc.sentVersion > 0 ? (doc.sentScoreMaximum ?? null) : null,
    sentAt: doc.sentAt ?? null,
    reason: doc.reason ?? null,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt ?? null,
    changedAt: doc.changedAt,
    canRetry: doc.state === 'failed' || doc.state === 'retrying',
  };
}

/** Every candidate's grade sync for one activity (per-candidate documents: O(cohort)). */
export async function listGradeSync(activityId: string): Promise<GradeSyncView[]> {
  const docs = await GradeOutboxModel.find({ activityId }).sort({ userName: 1, userSub: 1 }).lean<GradeOutbox[]>();
  return docs.map(presentSync);
}

export async function getGradeSync(activityId: string, userSub: string): Promise<GradeSyncView | null> {
  const doc = await findSync(activityId, userSub);
  return doc ? presentSync(doc) : null;
}

/** Puts a refused or waiting grade back in line now (faculty's Retry button). */
export async function retryGradeSync(activityId: string, userSub: string): Promise<void> {
  const doc = await findSync(activityId, userSub);
  if (!doc) throw notFound('grade_sync_not_found', 'There is no grade for this person in this activity.');
  if (doc.state === 'skipped') throw badRequest('grade_sync_test_user', TEST_USER_REASON);
  if (doc.state !== 'failed' && doc.state !== 'retrying') return;
  await GradeOutboxModel.updateOne(
    { _id: doc._id, state: { $in: ['failed', 'retrying'] } },
    { $set: { state: 'pending', reason: null, attempts: 0, nextAttemptAt: new Date() } },
  );
}

// ---- the sender's side: claim, complete, release ------------------------------------------

export const CLAIM_LEASE_MS = 60_000;
/** A read of due documents is claimed from for at most this long, then read again. */
export const MAX_CLAIM_READ_AGE_MS = 30_000;
/** Far longer than any read is claimed from; short enough that a document whose claimer stopped is retried soon. */
const TICKET_RETENTION_MS = 10 * 60_000;
const TICKET_PURGE_INTERVAL_MS = 5 * 60_000;

export type ClaimedGrade = GradeOutbox;

/**
 * Up to `limit` documents due for sending, the longest waiting first, in one query. Reading them
 * claims nothing: each is then claimed with claimGrade, which may find another sender got it.
 * (On the embedded FerretDB any filter but { _id } scans the collection, so the sender reads
 * a batch per scan instead of one document per scan.)
 */
export async function findDueGrades(now: Date, limit: number): Promise<GradeOutbox[]> {
  return GradeOutboxModel.find({
    state: { $in: ['pending', 'retrying'] },
    nextAttemptAt: { $lte: now },
    $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
  })
    .sort({ nextAttemptAt: 1 })
    .limit(limit)
    .lean<GradeOutbox[]>();
}

/**
 * Claims a document read by findDueGrades for `owner`, so several app processes can send without
 * sending twice. The document (as read) is the claim; 'contended' when another sender claimed it
 * since. The ticket comes first: only the sender that inserts the ticket for the claimCount it
 * read (a unique _id insert, atomic on both servers, where FerretDB applies updates as
 * read-then-write) writes the lease, so a sender holding an older read never touches the document.
 * A sender that stops between the two steps leaves the document due with a used ticket: claims are
 * refused until old tickets are purged (TICKET_RETENTION_MS), then it is claimed again — late, never
 * lost. Callers must not claim from a read older than MAX_CLAIM_READ_AGE_MS (runGradeSenderOnce).
 */
export async function claimGrade(candidate: GradeOutbox, owner: string, now: Date): Promise<ClaimedGrade | 'contended'> {
  await ensureIndexes();
  try {
    await GradeClaimTicketModel.create({ _id: `${String(candidate._id)}:${candidate.claimCount ?? 0}`, owner, createdAt: new Date() });
  } catch (err) {
    if (isDuplicateKeyError(err)) return 'contended';
    throw err;
  }
  await GradeOutboxModel.updateOne({ _id: candidate._id }, { $set: { lockedBy: owner, lockedUntil: new Date(now.getTime() + CLAIM_LEASE_MS) }, $inc: { claimCount: 1 } });
  return candidate;
}

function isDue(doc: GradeOutbox, now: Date): boolean {
  const waiting = doc.state === 'pending' || doc.state === 'retrying';
  return waiting && !!doc.nextAttemptAt && doc.nextAttemptAt <= now && (!doc.lockedUntil || doc.lockedUntil <= now);
}

/** Claims one candidate's document in one activity if it is due (read by its _id; claimGrade settles any race). */
export async function claimDueGrade(owner: string, now: Date, which: { activityId: string; userSub: string }): Promise<ClaimedGrade | 'contended' | null> {
  const candidate = await findSync(which.activityId, which.userSub);
  return candidate && isDue(candidate, now) ? claimGrade(candidate, owner, now) : null;
}

const unlocked = { lockedBy: null, lockedUntil: null };

/** The platform took the claimed version. If a newer change arrived meanwhile it stays pending. */
export async function completeSent(claim: ClaimedGrade, sentTimestamp: Date, now: Date): Promise<'sent' | 'superseded'> {
  const sent = { sentVersion: claim.version, sentScoreGiven: claim.scoreGiven ?? null, sentScoreMaximum: claim.scoreMaximum, sentTimestamp, sentAt: now, lastAttemptAt: now, lineItemUrl: claim.lineItemUrl };
  const res = await GradeOutboxModel.updateOne(
    { _id: claim._id, version: claim.version },
    { $set: { ...sent, ...unlocked, state: 'sent', reason: null, attempts: 0, nextAttemptAt: null } },
  );
  if (res.matchedCount > 0) return 'sent';
  await GradeOutboxModel.updateOne({ _id: claim._id, sentVersion: { $lt: claim.version } }, { $set: { ...sent, ...unlocked } });
  await GradeOutboxModel.updateOne({ _id: claim._id }, { $set: unlocked });
  return 'superseded';
}

/** The send failed: 'retrying' at nextAttemptAt, or 'failed' (refused) until faculty retry. */
export async function completeFailed(claim: ClaimedGrade, outcome: { state: 'retrying' | 'failed'; reason: string; nextAttemptAt: Date | null }, now: Date): Promise<boolean> {
  const res = await GradeOutboxModel.updateOne(
    { _id: claim._id, version: claim.version },
    { $set: { ...unlocked, state: outcome.state, reason: outcome.reason, nextAttemptAt: outcome.nextAttemptAt, lastAttemptAt: now }, $inc: { attempts: 1 } },
  );
  if (res.matchedCount > 0) return true;
  // A newer change is waiting: it gets its own attempt.
  await GradeOutboxModel.updateOne({ _id: claim._id }, { $set: unlocked });
  return false;
}

let lastPurgeAt = 0;

/** Claim tickets only matter while a claim races; drop old ones (no TTL indexes on FerretDB). */
export async function purgeOldClaimTickets(now: Date): Promise<void> {
  if (now.getTime() - lastPurgeAt < TICKET_PURGE_INTERVAL_MS) return;
  lastPurgeAt = now.getTime();
  await GradeClaimTicketModel.deleteMany({ createdAt: { $lt: new Date(now.getTime() - TICKET_RETENTION_MS) } });
}

/** Older than any read a sender may still claim from (MAX_CLAIM_READ_AGE_MS). */
const STUCK_TICKET_AGE_MS = 2 * 60_000;

/**
 * Grades due but stuck behind a used claim ticket (a sender stopped between the ticket and the
 * lease) are freed: their ticket is dropped, so the next round claims them — instead of waiting
 * for the ticket purge. Returns how many were freed.
 */
export async function requeueStuckGrades(now: Date): Promise<number> {
  const due = await findDueGrades(new Date(now.getTime() - 60_000), 200);
  let freed = 0;
  for (const doc of due) {
    const ticketId = `${String(doc._id)}:${doc.claimCount ?? 0}`;
    const ticket = await GradeClaimTicketModel.findOne({ _id: ticketId }).lean();
    if (ticket && now.getTime() - ticket.createdAt.getTime() > STUCK_TICKET_AGE_MS) {
      await GradeClaimTicketModel.deleteOne({ _id: ticketId });
      freed += 1;
    }
  }
  return freed;
}
