import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Types } from 'mongoose';
import { ActivityModel } from '../activities/activity.model';
import type { AgsScore } from '../lti/ltijs';
import { isDatabaseAvailable, whenDatabaseAvailable } from '../platform/database/availability';
import type { Logger } from '../platform/logger';
import { isDatabaseConnectionError } from '../platform/transient';
import { classifySendFailure, postScore, type SendFailure } from './ags-score.client';
import {
  claimDueGrade,
  completeFailed,
  completeSent,
  DueSettlements,
  findDueGrades,
  leaseClaims,
  MAX_CLAIM_READ_AGE_MS,
  purgeOldClaimTickets,
  readClaims,
  takeTickets,
  type ClaimCandidate,
  type ClaimedGrade,
} from './outbox-delivery';
import { gradeSyncId } from './outbox.model';

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_CAP_MS = 60 * 60 * 1000;

export interface GradeSenderOptions {
  /** The clock for due dates and leases (tests move it forward). */
  now?: Date;
  /** Lease owner; distinct per process. */
  owner?: string;
  /** At most this many sends per round. */
  limit?: number;
  /** Sends in flight at once (different candidates or activities; one document is never sent twice at once). */
  concurrency?: number;
  /** Per send (token + POST). */
  timeoutMs?: number;
  /** Test seam: runs after the claim, before the POST. */
  beforeSend?: (claim: ClaimedGrade) => Promise<void>;
}

export interface GradeSenderRound {
  sent: number;
  failed: number;
  retrying: number;
  /** Claims another sender won, so this one did not send. */
  skipped: number;
  /** Queue entries with nothing left to send (already sent by another sender, a test user). */
  settled: number;
}

const processOwner = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** 30 s · 2^(attempt−1), capped at 1 h, ±20 % jitter so a fleet does not retry in step. */
export function backoffMs(attempt: number, random = Math.random): number {
  const raw = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

function scoreFor(claim: ClaimedGrade, timestamp: Date): AgsScore {
  const score: AgsScore = {
    userId: claim.userSub,
    activityProgress: claim.activityProgress as AgsScore['activityProgress'],
    gradingProgress: claim.gradingProgress as AgsScore['gradingProgress'],
    timestamp: timestamp.toISOString(),
  };
  // Canvas refuses scoreGiven without scoreMaximum and Moodle reads a missing one as 1, so they
  // travel together. A null score sends neither: with FullyGraded, Canvas and Moodle clear the grade.
  if (claim.scoreGiven !== null && claim.scoreGiven !== undefined) {
    score.scoreGiven = claim.scoreGiven;
    score.scoreMaximum = claim.scoreMaximum;
  }
  if (claim.comment) score.comment = claim.comment;
  return score;
}

const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

/**
 * Timestamps must increase per user and line item: the change time, but never at or before
 * what was last sent (a re-stamped send may have been later than the next change).
 */
function timestampFor(claim: ClaimedGrade): Date {
  const afterLast = claim.sentTimestamp ? new Date(claim.sentTimestamp.getTime() + 1) : new Date(0);
  return later(claim.changedAt, afterLast);
}

type Outcome = 'sent' | 'failed' | 'retrying';

export const WAITING_FOR_LINE_ITEM = 'Waiting for the LMS to name this activity’s gradebook column: it is sent after the activity is next opened from the LMS.';

/** The column a grade recorded without one goes to: the activity's, once a launch has named it. */
async function lineItemOf(claim: ClaimedGrade): Promise<string | null> {
  if (claim.lineItemUrl) return claim.lineItemUrl;
  const activity = Types.ObjectId.isValid(claim.activityId) ? await ActivityModel.findOne({ _id: claim.activityId }, { lineItemUrl: 1 }).lean() : null;
  return activity?.lineItemUrl ?? null;
}

async function deliver(claim: ClaimedGrade, now: Date, timeoutMs: number, settlements?: DueSettlements): Promise<Outcome> {
  const lineItemUrl = await lineItemOf(claim);
  if (!lineItemUrl) {
    await completeFailed(claim, { state: 'retrying', reason: WAITING_FOR_LINE_ITEM, nextAttemptAt: new Date(now.getTime() + backoffMs(claim.attempts + 1)) }, now);
    return 'retrying';
  }
  claim.lineItemUrl = lineItemUrl;
  const target = { iss: claim.iss, clientId: claim.clientId, lineItemUrl };
  let timestamp = timestampFor(claim);
  let failure: SendFailure | null = null;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await postScore(target, scoreFor(claim, timestamp), timeoutMs);
      failure = null;
      break;
    } catch (err) {
      // Our database, not the LMS (ltijs reads the registration and token from it): no outcome is
      // recorded, the round fails, and the grade is sent again once its claim's lease runs out.
      if (isDatabaseConnectionError(err)) throw err;
      failure = classifySendFailure(err);
      if (failure.kind !== 'stale-timestamp' || attempt > 0) break;
      // Someone wrote a later score meanwhile; ours is the newer intent: stamp it now.
      timestamp = later(new Date(), new Date(timestamp.getTime() + 1));
    }
  }
  if (!failure) {
    await completeSent(claim, timestamp, now, settlements);
    return 'sent';
  }
  if (failure.kind === 'retry') {
    const waitMs = failure.retryAfterMs !== undefined ? Math.max(1000, failure.retryAfterMs) : backoffMs(claim.attempts + 1);
    await completeFailed(claim, { state: 'retrying', reason: failure.reason, nextAttemptAt: new Date(now.getTime() + waitMs) }, now);
    return 'retrying';
  }
  await completeFailed(claim, { state: 'failed', reason: failure.reason, nextAttemptAt: null }, now);
  return 'failed';
}

/**
 * Queue entries per read. On the embedded FerretDB each read scans the queue (what is still to
 * send), so fewer, larger reads; a read is claimed from for at most MAX_CLAIM_READ_AGE_MS.
 */
const BATCH_SIZE = 100;

/** Runs work over items, at most `concurrency` at once. */
async function eachAtMost<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * One round: reads due grades a batch at a time (oldest first) and sends a few at once — a
 * deadline burst is a queue of different candidates and columns, and each send mostly waits on
 * the LMS. A batch is claimed a group at a time: the group's outbox and delivery documents are
 * read (one query each), their claim tickets taken in one insert and their leases written in one
 * command, then they are sent and their sent outcomes written in one command. Groups are small
 * (two sends per worker), so a lease is written right before its send, never minutes after its
 * ticket. The batch's queue entries are settled together at its end. Safe to run in several
 * processes.
 */
export async function runGradeSenderOnce(options: GradeSenderOptions = {}): Promise<GradeSenderRound> {
  const owner = options.owner ?? processOwner;
  const limit = options.limit ?? 500;
  // Each send mostly waits on the LMS and on single-document operations: 8 keep the 2 cores here busy.
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const groupSize = 2 * concurrency;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const round: GradeSenderRound = { sent: 0, failed: 0, retrying: 0, skipped: 0, settled: 0 };
  await purgeOldClaimTickets(options.now ?? new Date());
  let remaining = limit;
  while (remaining > 0) {
    const batch = await findDueGrades(options.now ?? new Date(), Math.min(remaining, BATCH_SIZE));
    if (batch.length === 0) break;
    const readAt = Date.now();
    const skippedBefore = round.skipped;
    const settlements = new DueSettlements();
    let isFailing = false;
    try {
      // A read too old to claim from (slow sends) is dropped; the next batch reads afresh.
      for (let at = 0; at < batch.length && Date.now() - readAt < MAX_CLAIM_READ_AGE_MS; at += groupSize) {
        const group = batch.slice(at, at + groupSize);
        remaining -= group.length;
        const now = options.now ?? new Date();
        const candidates: ClaimCandidate[] = [];
        for (const candidate of await readClaims(group, now)) {
          if (candidate === 'contended') round.skipped += 1;
          else if (!candidate) round.settled += 1;
          else candidates.push(candidate);
        }
        const won = await takeTickets(candidates, owner);
        round.skipped += candidates.length - won.length;
        const claims = await leaseClaims(won, owner, now);
        await eachAtMost(claims, concurrency, async (claim) => {
          if (options.beforeSend) await options.beforeSend(claim);
          round[await deliver(claim, now, timeoutMs, settlements)] += 1;
        });
        await settlements.writeSent();
      }
    } catch (err) {
      isFailing = true;
      throw err;
    } finally {
      // Sent grades' queue entries, also when the batch stopped early. With a failing database the
      // flush may fail too: the round's own error is the one reported, and the entries left are
      // found again and settled by the next claim (their delivery says sent).
      await settlements.flush().catch((err: unknown) => {
        if (!isFailing) throw err;
      });
    }
    // Every entry held by another sender: reading again would find the same ones.
    if (round.skipped - skippedBefore === batch.length) break;
  }
  return round;
}

/**
 * Sends one candidate's grade right away if it is due and nobody else is sending it (the
 * faculty grade form uses this, so the page can say "sent"). Otherwise the background sender
 * takes it.
 */
export async function sendGradeNow(activityId: string, userSub: string, options: { timeoutMs?: number } = {}): Promise<Outcome | null> {
  const now = new Date();
  const claim = await claimDueGrade(processOwner, now, { _id: gradeSyncId(activityId, userSub) });
  if (!claim || claim === 'contended') return null;
  return deliver(claim, now, options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
}

export interface GradeSenderHandle {
  stop(): Promise<void>;
  kick(): void;
}

let active: GradeSenderHandle | null = null;

/** Asks the running background sender (if any) for a round now. */
export function kickGradeSender(): void {
  active?.kick();
}

/** The background sender: a round every intervalMs, or at once when kicked. */
export function startGradeSender(deps: { logger: Logger; intervalMs?: number; timeoutMs?: number }): GradeSenderHandle {
  const { logger } = deps;
  let isStopped = false;
  let isAgainRequested = false;
  let running: Promise<void> | null = null;

  const loop = async () => {
    do {
      isAgainRequested = false;
      // An outage is logged once (availability.ts); the first round after it starts at once.
      if (!isDatabaseAvailable()) break;
      try {
        const round = await runGradeSenderOnce({ timeoutMs: deps.timeoutMs });
        if (round.sent + round.failed + round.retrying > 0) logger.info(round, 'grade sender round');
      } catch (err) {
        logger.error({ err }, 'grade sender round failed');
      }
    } while (isAgainRequested && !isStopped);
  };
  const tick = () => {
    if (isStopped) return;
    if (running) {
      isAgainRequested = true;
      return;
    }
    running = loop().finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, deps.intervalMs ?? 5_000);
  timer.unref();
  const unsubscribe = whenDatabaseAvailable(tick);

  const handle: GradeSenderHandle = {
    kick: tick,
    async stop() {
      isStopped = true;
      clearInterval(timer);
      unsubscribe();
      if (active === handle) active = null;
      await running;
    },
  };
  active = handle;
  tick();
  return handle;
}
