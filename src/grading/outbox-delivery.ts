/**
 * The sender's side of the grade outbox: the send queue (grade_due), claims (grade_outbox_claims
 * tickets, then a lease on the delivery document) and outcomes (grade_deliveries). The outbox
 * document itself is only ever written by the recorder. Every operation per grade is by { _id }
 * (the embedded FerretDB scans the collection for any other filter); the queue is read a batch
 * per query. The operations a burst makes per grade (and per batch) go through the driver
 * (src/platform/database/direct.ts: no mongoose casting, so every value below is of its stored
 * type already — `_id`s are Mixed and passed as read, dates as Date, counts as numbers).
 */
import { bulkUpdateRaw, deleteManyRaw, deleteRaw, findManyRaw, findRaw, updateRaw } from '../platform/database/direct';
import { isDuplicateKeyError } from '../platform/errors';
import {
  GradeClaimTicketModel,
  GradeDeliveryModel,
  GradeDueModel,
  GradeOutboxModel,
  type GradeDue,
  type GradeOutbox,
  type LegacyOutboxFields,
} from './outbox.model';

export const CLAIM_LEASE_MS = 60_000;
/** A read of due entries is claimed from for at most this long, then read again. */
export const MAX_CLAIM_READ_AGE_MS = 30_000;
/** Far longer than any claim races; short enough that a grade whose claimer stopped is retried soon. */
const TICKET_RETENTION_MS = 10 * 60_000;
const TICKET_PURGE_INTERVAL_MS = 5 * 60_000;

type Id = GradeOutbox['_id'];
type StoredOutbox = GradeOutbox & LegacyOutboxFields;
/** A delivery document as stored (see GradeDeliveryModel). */
export interface Delivery {
  _id: Id;
  activityId: string;
  userSub: string;
  claimCount: number;
  lockedBy: string | null;
  lockedUntil: Date | null;
  version: number;
  changedAt: Date | null;
  state: 'sent' | 'retrying' | 'failed' | null;
  reason: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  sentVersion: number;
  sentScoreGiven: number | null;
  sentScoreMaximum: number | null;
  sentTimestamp: Date | null;
  sentAt: Date | null;
  lineItemUrl: string | null;
}

/** The grade as claimed: the outbox document read after the claim, with what its sending needs. */
export type ClaimedGrade = GradeOutbox & { version: number; attempts: number; sentTimestamp: Date | null; claimCount: number };

let indexesReady: Promise<unknown> | undefined;

/** The unique indexes exist before the first write: FerretDB upserts and claim tickets rely on them. */
export function ensureIndexes(): Promise<unknown> {
  indexesReady ??= Promise.all([GradeOutboxModel.init(), GradeClaimTicketModel.init(), GradeDeliveryModel.init(), GradeDueModel.init()]).catch((err: unknown) => {
    indexesReady = undefined;
    throw err;
  });
  return indexesReady;
}

const LEGACY_OUTCOMES = ['sent', 'retrying', 'failed'] as const;

/** What an outbox document of an earlier version said about its own sending (it carried it then). */
function legacyDelivery(doc: StoredOutbox): Delivery | null {
  if (doc.state === undefined && doc.sentVersion === undefined) return null;
  const state = doc.state as string | undefined;
  const isOutcome = (LEGACY_OUTCOMES as readonly string[]).includes(state ?? '');
  const sentVersion = doc.sentVersion ?? 0;
  return {
    _id: doc._id,
    activityId: doc.activityId,
    userSub: doc.userSub,
    claimCount: doc.claimCount ?? 0,
    lockedBy: doc.lockedBy ?? null,
    lockedUntil: doc.lockedUntil ?? null,
    // 'sent' then meant the current version was sent; a pending one had only its sentVersion sent.
    version: state === 'sent' ? sentVersion : isOutcome ? (doc.version ?? 0) : sentVersion,
    changedAt: null,
    state: isOutcome ? (state as Delivery['state']) : sentVersion > 0 ? 'sent' : null,
    reason: isOutcome ? (doc.reason ?? null) : null,
    attempts: isOutcome ? (doc.attempts ?? 0) : 0,
    nextAttemptAt: isOutcome ? (doc.nextAttemptAt ?? null) : null,
    lastAttemptAt: doc.lastAttemptAt ?? null,
    sentVersion,
    sentScoreGiven: doc.sentScoreGiven ?? null,
    sentScoreMaximum: doc.sentScoreMaximum ?? null,
    sentTimestamp: doc.sentTimestamp ?? null,
    sentAt: doc.sentAt ?? null,
    lineItemUrl: null,
  };
}

/** The delivery of an outbox document: its own document, or what an earlier version kept inside it. */
export function deliveryOf(outbox: GradeOutbox, stored: Delivery | null): Delivery | null {
  return stored ?? legacyDelivery(outbox as StoredOutbox);
}

/** The delivery's last attempt was of the outbox's current change. */
export function isCurrent(delivery: Delivery | null, outbox: Pick<GradeOutbox, 'version' | 'changedAt'>): delivery is Delivery {
  if (!delivery || delivery.version !== (outbox.version ?? 0)) return false;
  return !delivery.changedAt || delivery.changedAt.getTime() === outbox.changedAt.getTime();
}

/** Faculty (Retry) or a released column asked for a send after the last attempt. */
export function isRetryAsked(due: Pick<GradeDue, 'retryRequestedAt'> | null, delivery: Delivery | null): boolean {
  if (!due?.retryRequestedAt) return false;
  return !delivery?.lastAttemptAt || due.retryRequestedAt.getTime() > delivery.lastAttemptAt.getTime();
}

/**
 * Puts a grade in the send queue, due at `dueAt` (one upsert by _id). Recorders call it after
 * writing the outbox document — the order the sender's check after each send relies on.
 */
export async function markDue(which: { _id: Id; activityId: string; userSub: string }, dueAt: Date, options: { isRetry?: boolean } = {}): Promise<void> {
  const set = { activityId: which.activityId, userSub: which.userSub, dueAt, ...(options.isRetry ? { retryRequestedAt: dueAt } : {}) };
  const write = () => updateRaw(GradeDueModel, { _id: which._id }, { $set: set }, { upsert: true });
  try {
    await write();
  } catch (err) {
    // Two upserts inserting at once (FerretDB upserts are query-then-insert): the entry exists now.
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}

/**
 * After an attempt (or on finding nothing to send): the queue entry is removed, or moved to the
 * next attempt; then the outbox document is read again, and a change recorded since the attempt
 * is queued at once. The recorder writes the outbox before the queue, so whichever of the two
 * queue writes comes last, the newer change is never left unqueued. Returns whether one was.
 */
async function settleDue(which: DueRef, attempted: Attempted | null, nextAttemptAt: Date | null): Promise<boolean> {
  if (nextAttemptAt) {
    await updateRaw(GradeDueModel, { _id: which._id }, { $set: { activityId: which.activityId, userSub: which.userSub, dueAt: nextAttemptAt, retryRequestedAt: null } }, { upsert: true });
  } else {
    await deleteRaw(GradeDueModel, { _id: which._id });
  }
  return requeueIfChanged(which, attempted);
}

type DueRef = { _id: Id; activityId: string; userSub: string };
type Attempted = Pick<GradeOutbox, 'version' | 'changedAt'>;

/** The second half of settleDue: a change recorded since the attempt is queued again. */
async function requeueIfChanged(which: DueRef, attempted: Attempted | null, read?: { outbox: GradeOutbox | null }): Promise<boolean> {
  const outbox = read ? read.outbox : await findRaw<GradeOutbox>(GradeOutboxModel, { _id: which._id });
  if (!outbox || outbox.isTestUser) return false;
  if (attempted && (attempted.version ?? 0) === (outbox.version ?? 0) && attempted.changedAt.getTime() === outbox.changedAt.getTime()) return false;
  await markDue(outbox, new Date());
  return true;
}

/** A Map key for a Mixed `_id` (a string, or the ObjectId of a document recorded before gradeSyncId). */
const idKey = (id: unknown): string => (typeof id === 'string' ? `s:${id}` : `o:${String(id)}`);

/** Below the 1,000 `_id`s the embedded database's build reads by index in one query. */
const ID_BATCH = 500;

/** `{ _id: { $in } }` filters for ids, ID_BATCH at a time. */
function idFilters(ids: Id[]): { _id: { $in: Id[] } }[] {
  const filters = [];
  for (let at = 0; at < ids.length; at += ID_BATCH) filters.push({ _id: { $in: ids.slice(at, at + ID_BATCH) } });
  return filters;
}

/**
 * Documents by `_id`, a batch per query (`_id: {$in}`: on the embedded FerretDB, Fieldbook's build
 * answers it from the `_id` index, as MongoDB does), keyed by idKey.
 */
async function findByIds<T extends { _id: unknown }>(model: Parameters<typeof findManyRaw>[0], ids: Id[]): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  for (const filter of idFilters(ids)) for (const doc of await findManyRaw<T>(model, filter)) found.set(idKey(doc._id), doc);
  return found;
}

/**
 * Queue entries of a batch of sends, removed together after the batch (one delete instead of one
 * per grade), each then checked as settleDue checks it, in the same order: remove, then read the
 * outbox again (one read for the batch).
 */
export class DueSettlements {
  private readonly settled: { which: DueRef; attempted: Attempted }[] = [];
  private readonly outcomes: { filter: { _id: Id }; update: Record<string, Record<string, unknown>> }[] = [];

  /**
   * A sent grade: its delivery's outcome is written with the others of its group (writeSent, one
   * command), and its queue entry settled with the batch (flush). Until then its lease holds it.
   */
  addSent(claim: ClaimedGrade, outcome: Record<string, Record<string, unknown>>): void {
    this.outcomes.push({ filter: { _id: claim._id }, update: outcome });
    this.settled.push({ which: { _id: claim._id, activityId: claim.activityId, userSub: claim.userSub }, attempted: { version: claim.version, changedAt: claim.changedAt } });
  }

  /** The sent outcomes added so far, in one command. */
  async writeSent(): Promise<void> {
    const outcomes = this.outcomes.splice(0);
    if (outcomes.length > 0) await bulkUpdateRaw(GradeDeliveryModel, outcomes);
  }

  /**
   * Writes the outcomes not yet written, then settles the queue entries (a queue entry is never
   * removed before its delivery says sent). Returns how many were queued again (a change recorded
   * during their send).
   */
  async flush(): Promise<number> {
    await this.writeSent();
    const settled = this.settled.splice(0);
    if (settled.length === 0) return 0;
    const ids = settled.map((s) => s.which._id);
    for (const filter of idFilters(ids)) await deleteManyRaw(GradeDueModel, filter);
    const outboxes = await findByIds<GradeOutbox>(GradeOutboxModel, ids);
    let requeued = 0;
    for (const { which, attempted } of settled) if (await requeueIfChanged(which, attempted, { outbox: outboxes.get(idKey(which._id)) ?? null })) requeued += 1;
    return requeued;
  }
}

/**
 * Up to `limit` queue entries due now, the longest waiting first, in one query (the collection
 * holds only grades still to send). Reading them claims nothing: claimGrade decides.
 */
export async function findDueGrades(now: Date, limit: number): Promise<GradeDue[]> {
  return findManyRaw<GradeDue>(GradeDueModel, { dueAt: { $lte: now } }, { sort: { dueAt: 1 }, limit });
}

/** A due entry read for claiming: what the claim needs once its ticket is won. */
export interface ClaimCandidate {
  due: GradeDue;
  outbox: GradeOutbox;
  stored: Delivery | null;
  delivery: Delivery | null;
  claimCount: number;
}

/**
 * Reads the outbox and delivery documents of a due queue entry (by _id) and decides: null when
 * there is nothing to send (already sent or refused, a test user; the entry is settled),
 * 'contended' when another sender holds its lease, or a candidate whose ticket is to be taken.
 */
export async function readClaim(due: GradeDue, now: Date): Promise<ClaimCandidate | 'contended' | null> {
  await ensureIndexes();
  const [outbox, stored] = await Promise.all([
    findRaw<GradeOutbox>(GradeOutboxModel, { _id: due._id }),
    findRaw<Delivery>(GradeDeliveryModel, { _id: due._id }),
  ]);
  return decideClaim(due, outbox, stored, now);
}

/**
 * readClaim for a group of queue entries, with two reads for the whole group (the outbox and the
 * delivery documents by `_id: {$in}`) instead of two per entry. The answers, in the group's order.
 */
export async function readClaims(group: GradeDue[], now: Date): Promise<(ClaimCandidate | 'contended' | null)[]> {
  await ensureIndexes();
  const ids = group.map((due) => due._id);
  const [outboxes, stored] = await Promise.all([findByIds<GradeOutbox>(GradeOutboxModel, ids), findByIds<Delivery>(GradeDeliveryModel, ids)]);
  return Promise.all(group.map((due) => decideClaim(due, outboxes.get(idKey(due._id)) ?? null, stored.get(idKey(due._id)) ?? null, now)));
}

async function decideClaim(due: GradeDue, outbox: GradeOutbox | null, stored: Delivery | null, now: Date): Promise<ClaimCandidate | 'contended' | null> {
  const which = { _id: due._id, activityId: due.activityId, userSub: due.userSub };
  if (!outbox || outbox.isTestUser) {
    await settleDue(which, null, null);
    return null;
  }
  const delivery = deliveryOf(outbox, stored);
  const isLocked = !!delivery?.lockedUntil && delivery.lockedUntil > now;
  if (!isLocked && isCurrent(delivery, outbox) && !isRetryAsked(due, delivery)) {
    if (delivery.state === 'sent' || delivery.state === 'failed') {
      await settleDue(which, outbox, null);
      return null;
    }
    if (delivery.state === 'retrying' && delivery.nextAttemptAt && delivery.nextAttemptAt > now) {
      await settleDue(which, outbox, delivery.nextAttemptAt);
      return null;
    }
  }
  if (isLocked) return 'contended';
  return { due, outbox, stored, delivery, claimCount: delivery?.claimCount ?? 0 };
}

const ticketId = (candidate: ClaimCandidate) => `${String(candidate.due._id)}:${candidate.claimCount}`;

/**
 * Takes the claim tickets of several candidates in one insert (unordered: each ticket is its own
 * unique _id insert, atomic on both servers, and a taken one fails alone). Returns the candidates
 * whose ticket this sender inserted; the others are held by another sender.
 */
export async function takeTickets(candidates: ClaimCandidate[], owner: string): Promise<ClaimCandidate[]> {
  if (candidates.length === 0) return [];
  const createdAt = new Date();
  const tickets = candidates.map((c) => ({ _id: ticketId(c), owner, createdAt }));
  try {
    // The driver's insert, not mongoose's: a ticket needs no document building or validation.
    await GradeClaimTicketModel.collection.insertMany(tickets as unknown as Parameters<typeof GradeClaimTicketModel.collection.insertMany>[0], { ordered: false });
    return candidates;
  } catch (err) {
    const failed = (err as { writeErrors?: unknown }).writeErrors;
    const writeErrors = (Array.isArray(failed) ? failed : failed ? [failed] : []) as { index: number; code?: number; errmsg?: string; err?: { code?: number; errmsg?: string } }[];
    if (writeErrors.length === 0) throw err;
    const lost = new Set<number>();
    for (const e of writeErrors) {
      const code = e.code ?? e.err?.code;
      // Anything but a duplicate key: this sender cannot tell whether its ticket is in.
      if (!isDuplicateKeyError({ code, message: e.errmsg ?? e.err?.errmsg })) throw err;
      lost.add(e.index);
    }
    return candidates.filter((_, i) => !lost.has(i));
  }
}

/** With its ticket won: the lease on the delivery document, and the grade as claimed. */
export async function leaseClaim(candidate: ClaimCandidate, owner: string, now: Date): Promise<ClaimedGrade> {
  const { filter, update } = leaseWrite(candidate, owner, now);
  // An upsert: the schema's defaults of the fields not set go in $setOnInsert (updateRaw), as mongoose's would.
  await updateRaw(GradeDeliveryModel, filter, update, { upsert: true });
  return claimedOf(candidate);
}

/** leaseClaim for the candidates whose tickets a sender won, in one command (the leases in their order). */
export async function leaseClaims(candidates: ClaimCandidate[], owner: string, now: Date): Promise<ClaimedGrade[]> {
  await bulkUpdateRaw(
    GradeDeliveryModel,
    candidates.map((candidate) => ({ ...leaseWrite(candidate, owner, now), upsert: true })),
  );
  return candidates.map(claimedOf);
}

function leaseWrite(candidate: ClaimCandidate, owner: string, now: Date) {
  const { due, outbox, stored, delivery, claimCount } = candidate;
  const lease = { activityId: outbox.activityId, userSub: outbox.userSub, lockedBy: owner, lockedUntil: new Date(now.getTime() + CLAIM_LEASE_MS), claimCount: claimCount + 1 };
  // A delivery carried inside an earlier version's outbox document is written out whole.
  const carried = !stored && delivery ? (({ _id, ...rest }) => rest)(delivery) : {};
  return { filter: { _id: due._id }, update: { $set: { ...carried, ...lease } } };
}

function claimedOf(candidate: ClaimCandidate): ClaimedGrade {
  const { due, outbox, delivery, claimCount } = candidate;
  // The outbox was read after the queue entry, so it holds at least the change that queued it;
  // anything newer is queued again by the check after the send (settleDue).
  return {
    ...outbox,
    version: outbox.version ?? 0,
    attempts: isCurrent(delivery, outbox) && !isRetryAsked(due, delivery) ? delivery.attempts : 0,
    sentTimestamp: delivery?.sentTimestamp ?? null,
    claimCount: claimCount + 1,
  };
}

/**
 * Claims the grade of a due queue entry for `owner`, so several app processes can send without
 * sending twice: readClaim, then its ticket, then the lease. The ticket comes first: only the
 * sender that inserts the ticket for the claimCount it just read (a unique _id insert, atomic on
 * both servers) writes the delivery document, so it has one writer at a time. A sender that stops
 * after the lease leaves it to expire (CLAIM_LEASE_MS); one that stops between ticket and lease
 * leaves a used ticket, freed by requeueStuckGrades — late, never lost. The background sender
 * does the same for a batch at a time (one ticket insert per batch).
 */
export async function claimGrade(due: GradeDue, owner: string, now: Date): Promise<ClaimedGrade | 'contended' | null> {
  const candidate = await readClaim(due, now);
  if (!candidate || candidate === 'contended') return candidate;
  const [won] = await takeTickets([candidate], owner);
  return won ? leaseClaim(won, owner, now) : 'contended';
}

/** Claims one candidate's grade in one activity if it is due (its queue entry read by _id). */
export async function claimDueGrade(owner: string, now: Date, which: { _id: Id }): Promise<ClaimedGrade | 'contended' | null> {
  const due = await GradeDueModel.findOne({ _id: which._id }).lean<GradeDue>();
  return due && due.dueAt <= now ? claimGrade(due, owner, now) : null;
}

const unlocked = { lockedBy: null, lockedUntil: null };
const attemptOf = (claim: ClaimedGrade) => ({ activityId: claim.activityId, userSub: claim.userSub, version: claim.version, changedAt: claim.changedAt });

/**
 * The platform took the claimed change. 'superseded' when a newer one arrived meanwhile (it is
 * queued). With `settlements`, the queue entry is settled when they are flushed (and 'sent' is
 * returned: a newer change is found then).
 */
export async function completeSent(claim: ClaimedGrade, sentTimestamp: Date, now: Date, settlements?: DueSettlements): Promise<'sent' | 'superseded'> {
  const outcome = {
      $set: {
        ...attemptOf(claim),
        ...unlocked,
        state: 'sent',
        reason: null,
        attempts: 0,
        nextAttemptAt: null,
        lastAttemptAt: now,
        sentVersion: claim.version,
        sentScoreGiven: claim.scoreGiven ?? null,
        sentScoreMaximum: claim.scoreMaximum,
        sentTimestamp,
        sentAt: now,
        lineItemUrl: claim.lineItemUrl ?? null,
      },
  };
  if (settlements) {
    settlements.addSent(claim, outcome);
    return 'sent';
  }
  await updateRaw(GradeDeliveryModel, { _id: claim._id }, outcome);
  return (await settleDue(claim, claim, null)) ? 'superseded' : 'sent';
}

/** The send failed: 'retrying' at nextAttemptAt, or 'failed' (refused) until faculty retry. False when a newer change is queued. */
export async function completeFailed(claim: ClaimedGrade, outcome: { state: 'retrying' | 'failed'; reason: string; nextAttemptAt: Date | null }, now: Date): Promise<boolean> {
  await updateRaw(
    GradeDeliveryModel,
    { _id: claim._id },
    { $set: { ...attemptOf(claim), ...unlocked, state: outcome.state, reason: outcome.reason, attempts: claim.attempts + 1, nextAttemptAt: outcome.nextAttemptAt, lastAttemptAt: now } },
  );
  const retryAt = outcome.state === 'retrying' ? (outcome.nextAttemptAt ?? now) : null;
  return !(await settleDue(claim, claim, retryAt));
}

let lastPurgeAt = 0;

/** Claim tickets only matter while a claim races; drop old ones (no TTL indexes on FerretDB). */
export async function purgeOldClaimTickets(now: Date): Promise<void> {
  if (now.getTime() - lastPurgeAt < TICKET_PURGE_INTERVAL_MS) return;
  lastPurgeAt = now.getTime();
  await GradeClaimTicketModel.deleteMany({ createdAt: { $lt: new Date(now.getTime() - TICKET_RETENTION_MS) } });
}

/** Older than any claim still racing. */
const STUCK_TICKET_AGE_MS = 2 * 60_000;
/** How far back the scheduler looks for changes recorded without their queue entry. */
const UNQUEUED_LOOKBACK_MS = 15 * 60_000;

/**
 * Grades that should be on their way but are not: due behind a used claim ticket (a sender
 * stopped between the ticket and the lease: the ticket is dropped, the next round claims them),
 * or recorded in the last minutes without a queue entry (the recorder stopped between its two
 * writes: queued now). Returns how many were freed or queued.
 */
export async function requeueStuckGrades(now: Date): Promise<number> {
  let freed = 0;
  for (const due of await findDueGrades(new Date(now.getTime() - 60_000), 200)) {
    const [outbox, stored] = await Promise.all([GradeOutboxModel.findOne({ _id: due._id }).lean<GradeOutbox>(), GradeDeliveryModel.findOne({ _id: due._id }).lean<Delivery>()]);
    const delivery = outbox ? deliveryOf(outbox, stored) : stored;
    if (delivery?.lockedUntil && delivery.lockedUntil > now) continue;
    const ticketId = `${String(due._id)}:${delivery?.claimCount ?? 0}`;
    const ticket = await GradeClaimTicketModel.findOne({ _id: ticketId }).lean();
    if (ticket && now.getTime() - ticket.createdAt.getTime() > STUCK_TICKET_AGE_MS) {
      await GradeClaimTicketModel.deleteOne({ _id: ticketId });
      freed += 1;
    }
  }
  const recent = await GradeOutboxModel.find({ changedAt: { $gte: new Date(now.getTime() - UNQUEUED_LOOKBACK_MS), $lte: new Date(now.getTime() - 60_000) } }).lean<GradeOutbox[]>();
  for (const outbox of recent) {
    if (outbox.isTestUser) continue;
    const stored = await GradeDeliveryModel.findOne({ _id: outbox._id }).lean<Delivery>();
    const delivery = deliveryOf(outbox, stored);
    const isDone = isCurrent(delivery, outbox) && (delivery.state === 'sent' || delivery.state === 'failed');
    if (isDone || (await GradeDueModel.findOne({ _id: outbox._id }, { _id: 1 }).lean())) continue;
    await markDue(outbox, isCurrent(delivery, outbox) && delivery.nextAttemptAt ? delivery.nextAttemptAt : now);
    freed += 1;
  }
  return freed;
}

const LEGACY_FIELDS = ['state', 'reason', 'attempts', 'nextAttemptAt', 'lastAttemptAt', 'lockedBy', 'lockedUntil', 'claimCount', 'sentVersion', 'sentScoreGiven', 'sentScoreMaximum', 'sentTimestamp', 'sentAt'];

/**
 * Outbox documents of earlier versions carried their own sending state: it moves to a delivery
 * document (and a queue entry when the grade is still to send), then leaves the outbox document.
 * At start, idempotent; until it has run, such documents are read as they were (deliveryOf).
 */
export async function upgradeGradeOutbox(): Promise<number> {
  await ensureIndexes();
  // On the driver's collection: mongoose would drop a filter on paths the schema no longer has (and match everything).
  const legacy = (await GradeOutboxModel.collection.find({ $or: [{ state: { $exists: true } }, { sentVersion: { $exists: true } }] }).toArray()) as unknown as StoredOutbox[];
  for (const doc of legacy) {
    const delivery = legacyDelivery(doc);
    if (delivery && !(await GradeDeliveryModel.findOne({ _id: doc._id }, { _id: 1 }).lean())) {
      const { _id, ...fields } = delivery;
      await GradeDeliveryModel.updateOne({ _id }, { $set: fields }, { upsert: true });
    }
    if (!doc.isTestUser && (doc.state === 'pending' || doc.state === 'retrying')) await markDue(doc, doc.nextAttemptAt ?? new Date());
    // On the driver's collection: mongoose would drop an $unset of paths the schema no longer has.
    await GradeOutboxModel.collection.updateOne({ _id: doc._id }, { $unset: Object.fromEntries(LEGACY_FIELDS.map((f) => [f, 1])) });
  }
  return legacy.length;
}
