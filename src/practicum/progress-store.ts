/**
 * The per-candidate progress documents: derived records, recomputed from their source entries —
 * never incremented. (Increments were lost under load and with two app instances: the embedded
 * FerretDB applies every update as read-then-write.)
 *
 * One document per (activity, candidate), keyed by progressId and found by { _id } alone. It holds
 * a summary of each of the candidate's entries (`items`, with the entry version it was taken from)
 * and the totals computed from them. settleCandidate, the one writer, runs under the candidate's
 * lock (a unique-_id insert, atomic on both servers): it reads the changed entries again by _id
 * (or takes the document its own write returned, unless a later version is already shown),
 * replaces their items and rewrites the totals, so a lost or repeated step can never make them
 * wrong — the next settle of that candidate repairs it, and reconcileProgress finds any entry whose
 * version its item does not show.
 */
import { Types } from 'mongoose';
import { deleteRaw, findRaw, insertRaw, insertValidated, objectIdOf, replaceRaw } from '../platform/database/direct';
import { isDuplicateKeyError } from '../platform/errors';
import { isDatabaseConnectionError, retryInBackground, withTransientRetry } from '../platform/transient';
import { PracticumAuditModel } from './practicum-audit.model';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { mergeIncrements, PracticumProgressModel, progressIncrements } from './practicum-progress.model';
import { PracticumLockModel } from './practicum-lock.model';
import type { ProgressEntry } from './progress.service';

export const progressId = (activityId: unknown, candidateSub: string) => JSON.stringify([String(activityId), candidateSub]);

/** What the progress document keeps of one entry. */
export interface ProgressItem {
  version: number;
  status: string;
  date: string | null;
  minutes: number;
  category: string | null;
  site: { name: string; district: string; gradeBand: string | null; populations: string[] };
}

export function itemOf(e: Pick<PracticumEntry, 'status' | 'minutes' | 'category' | 'site' | 'date' | 'version'>): ProgressItem {
  return {
    version: e.version,
    status: e.status,
    date: e.date ?? null,
    minutes: e.minutes ?? 0,
    category: e.category ?? null,
    site: { name: e.site?.name ?? '', district: e.site?.district ?? '', gradeBand: e.site?.gradeBand ?? null, populations: [...(e.site?.populations ?? [])] },
  };
}

/** The items as the progress computation reads entries. */
export function itemsAsEntries(items: Record<string, ProgressItem>): ProgressEntry[] {
  return Object.entries(items).map(([id, i]) => ({ id, status: i.status as ProgressEntry['status'], date: i.date, minutes: i.minutes, category: i.category, site: { ...i.site } }));
}

/** minutes.<status>.total / .category / .band / .population and entries.<status>, from the items. */
export function totalsOf(items: Record<string, ProgressItem>): { minutes: Record<string, unknown>; entries: Record<string, number> } {
  let inc: Record<string, number> = {};
  for (const i of Object.values(items)) inc = mergeIncrements(inc, progressIncrements({ status: i.status, minutes: i.minutes, category: i.category, site: i.site }, 1));
  const minutes: Record<string, unknown> = {};
  const entries: Record<string, number> = {};
  for (const [path, value] of Object.entries(inc)) {
    const parts = path.split('.');
    if (parts[0] === 'entries') entries[parts[1]] = value;
    else setPath(minutes, parts.slice(1), value);
  }
  return { minutes, entries };
}

function setPath(target: Record<string, unknown>, parts: string[], value: number): void {
  let node = target;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}

/** Longer than any hold, even on a database slowed by a deadline: a lease that ran out while its holder still worked would let two writers in. */
export const LOCK_LEASE_MS = 90_000;
/** A class at a deadline queues several writes per candidate on a slow database: wait, do not fail. */
const LOCK_WAIT_MS = 120_000;

/** Per lock, the tail of this process's queue of holders (see withCandidateLock). */
const localTails = new Map<string, Promise<void>>();

/**
 * Waits for this process's earlier holders of `key`, in arrival order; resolves with the release.
 * Bounded like the database lock: a waiter that gives up still hands its turn on when it comes.
 */
async function localTurn(key: string, started: number): Promise<() => void> {
  const previous = localTails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  localTails.set(key, tail);
  const done = () => {
    release();
    if (localTails.get(key) === tail) localTails.delete(key);
  };
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, LOCK_WAIT_MS - (Date.now() - started)))));
  const isTurn = await Promise.race([previous.then(() => true as const), gaveUp]);
  clearTimeout(timer);
  if (!isTurn) {
    void previous.then(done);
    throw new Error(`practicum progress lock ${key} not acquired in ${LOCK_WAIT_MS} ms (queued in this process)`);
  }
  return done;
}

/**
 * Runs `work` holding the candidate's lock. Requests of one process queue for it in memory, so
 * only one of them at a time asks the database: at a deadline three or four requests per candidate
 * arrive together, and their polling inserts (each a failed write the embedded database serializes
 * with every other write) made the holders' own writes wait — holds of over 15 s under 160
 * concurrent requests. Across processes waiters poll with jitter; a lock older than the lease
 * (its holder died) is taken over.
 */
export async function withCandidateLock<T>(activityId: unknown, candidateSub: string, work: () => Promise<T>): Promise<T> {
  const _id = `progress:${progressId(activityId, candidateSub)}`;
  const started = Date.now();
  const release = await localTurn(_id, started);
  try {
    return await withDatabaseLock(_id, started, work);
  } finally {
    release();
  }
}

async function withDatabaseLock<T>(_id: string, started: number, work: () => Promise<T>): Promise<T> {
  const owner = new Types.ObjectId().toHexString();
  for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
    try {
      await withTransientRetry(() => insertRaw(PracticumLockModel, { _id, owner, createdAt: new Date() }));
      break;
    } catch (err) {
      // The insert may have landed before the connection was lost: make sure it does not hold the candidate for a lease.
      if (isDatabaseConnectionError(err)) retryInBackground(() => deleteRaw(PracticumLockModel, { _id, owner }));
      if (!isDuplicateKeyError(err)) throw err;
    }
    const held = await withTransientRetry(() => findRaw<{ owner: string; createdAt: Date }>(PracticumLockModel, { _id }));
    if (held && Date.now() - held.createdAt.getTime() > LOCK_LEASE_MS) {
      await withTransientRetry(() => deleteRaw(PracticumLockModel, { _id, owner: held.owner }));
      continue;
    }
    if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`practicum progress lock ${_id} not acquired in ${LOCK_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
  }
  try {
    return await work();
  } finally {
    // A release lost to a database outage would hold every later write of this candidate for the
    // whole lease (90 s): it is retried in the background until the database is back.
    // With the owner: a holder that comes late (a slow hold, a release retried after an outage) never
    // deletes a lock another writer took over. (`{ _id, owner }` is read by the _id index.)
    const release = () => deleteRaw(PracticumLockModel, { _id, owner });
    await withTransientRetry(release).catch(() => retryInBackground(release));
  }
}

export interface CandidateRef {
  activityId: Types.ObjectId;
  iss: string;
  contextId: string | null;
  candidateSub: string;
  candidateName: string;
}

type ProgressDoc = { _id: unknown; items?: Record<string, ProgressItem> | null; grade?: { scoreGiven?: number | null } | null };

/** All of a candidate's entries (a scan on the embedded database: only for first use and repairs). */
async function allItems(ref: CandidateRef): Promise<Record<string, ProgressItem>> {
  const entries = await withTransientRetry(() => PracticumEntryModel.find({ activityId: ref.activityId, candidateSub: ref.candidateSub }).lean());
  return Object.fromEntries(entries.map((e) => [String(e._id), itemOf(e)]));
}

export interface SettleOptions {
  /** From every entry of the candidate (repairs, earlier versions' documents). */
  rebuild?: boolean;
  /** Entries exactly as this request's write left them (its insert, or the update's returned document). */
  written?: PracticumEntry[];
}

/**
 * The entry to summarize. An entry's content changes only with its version (every write increments
 * it), so the document this request's own write returned is the entry at that version and is used
 * instead of a read — unless the progress item already shows a later version (another writer's,
 * settled first), in which case the entry is read again, as any other changed entry is.
 */
async function currentEntry(id: unknown, written: PracticumEntry | undefined, item: ProgressItem | undefined): Promise<PracticumEntry | null> {
  if (written && (!item || item.version <= written.version)) return written;
  return readEntry(id);
}

/** An entry by its id (a string or ObjectId) through the driver; null for an id that is not one. */
export function readEntry(id: unknown): Promise<PracticumEntry | null> {
  const _id = objectIdOf(id);
  return _id ? withTransientRetry(() => findRaw<PracticumEntry>(PracticumEntryModel, { _id })) : Promise.resolve(null);
}

/**
 * Brings the candidate's progress document in line with the named entries (read again by _id, the
 * source of truth — or, for this request's own write, the document that write returned: see
 * currentEntry). Must run under withCandidateLock. Returns the items after the change.
 */
export async function settleItems(ref: CandidateRef, entryIds: unknown[], options: SettleOptions = {}): Promise<{ items: Record<string, ProgressItem>; previous: ProgressDoc | null }> {
  const _id = progressId(ref.activityId, ref.candidateSub);
  let doc = await withTransientRetry(() => findRaw<ProgressDoc>(PracticumProgressModel, { _id }));
  let items: Record<string, ProgressItem>;
  if (options.rebuild) {
    // A repair, or a document of an earlier version (upgradeProgressDocuments): from every entry.
    const legacy = doc ? null : ((await withTransientRetry(() => PracticumProgressModel.findOne({ activityId: ref.activityId, candidateSub: ref.candidateSub }).lean())) as ProgressDoc | null);
    if (legacy) {
      await withTransientRetry(() => PracticumProgressModel.deleteOne({ _id: legacy._id }));
      doc = { ...legacy, items: null };
    }
    items = await allItems(ref);
  } else {
    // No document yet: the candidate's first entry (earlier versions' documents are upgraded at start).
    items = { ...(doc?.items ?? {}) };
    const known = new Map((options.written ?? []).map((e) => [String(e._id), e]));
    for (const id of entryIds) {
      const entry = await currentEntry(id, known.get(String(id)), items[String(id)]);
      if (entry && String(entry.activityId) === String(ref.activityId) && entry.candidateSub === ref.candidateSub) items[String(id)] = itemOf(entry);
      else delete items[String(id)];
    }
  }
  const totals = totalsOf(items);
  const now = new Date();
  const kept = doc as (ProgressDoc & { createdAt?: Date; recomputedAt?: Date | null }) | null;
  // A whole-document replace, not $set: the embedded FerretDB (v1.24.2) skips a $set whose new
  // subdocument has the same values under other keys (e.g. minutes {submitted:{total:90}} →
  // {approved:{total:90}}), which would leave the totals of an approval unchanged.
  const replacement = {
    activityId: ref.activityId,
    iss: ref.iss,
    contextId: ref.contextId,
    candidateSub: ref.candidateSub,
    candidateName: ref.candidateName,
    items,
    minutes: totals.minutes,
    entries: totals.entries,
    lastEntryAt: now,
    grade: kept?.grade ?? { scoreGiven: null, scoreMaximum: null, computedAt: null },
    recomputedAt: options.rebuild ? now : (kept?.recomputedAt ?? null),
    createdAt: kept?.createdAt ?? now,
  };
  await withTransientRetry(() => replaceRaw(PracticumProgressModel, { _id }, replacement, { upsert: true }));
  return { items, previous: doc };
}

export async function writeAudit(record: { entryId: Types.ObjectId; activityId: Types.ObjectId; candidateSub: string; version: number; from: string; to: string; actor: Record<string, unknown>; comment: string; at: Date }): Promise<void> {
  try {
    await withTransientRetry(() => insertValidated(PracticumAuditModel, record));
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** Rebuilds one candidate's progress document from all their entries, and their audit records. */
export async function recomputeProgress(activityId: Types.ObjectId | string, candidateSub: string): Promise<void> {
  const id = new Types.ObjectId(String(activityId));
  const entries = await PracticumEntryModel.find({ activityId: id, candidateSub }).lean();
  if (entries.length === 0) return;
  const first = entries[0];
  await withCandidateLock(id, candidateSub, () => settleItems({ activityId: id, iss: first.iss, contextId: first.contextId ?? null, candidateSub, candidateName: first.candidateName ?? '' }, [], { rebuild: true }));
  for (const e of entries) {
    // The audit record follows the entry write; a crash in between is repaired from lastTransition.
    const t = e.lastTransition as { from: string; to: string; actor: Record<string, unknown>; comment: string; at: Date } | null;
    if (t) await writeAudit({ entryId: e._id, activityId: id, candidateSub, version: e.version, ...t });
    if (e.progressPending) await PracticumEntryModel.updateOne({ _id: e._id }, { $set: { progressPending: false } });
  }
}

/**
 * Finds candidates whose progress document disagrees with their entries (an entry version its item
 * does not show, an item whose entry is gone, a flag left by an earlier version) and rebuilds them.
 * Entries changed in the last `graceMs` are left to the writer still settling them. One scan of
 * entries and one of progress documents: a background job, not a request.
 */
export async function reconcileProgress(graceMs = 60_000): Promise<number> {
  const cutoff = Date.now() - graceMs;
  const [entries, docs] = await Promise.all([
    PracticumEntryModel.find({}, { activityId: 1, candidateSub: 1, version: 1, updatedAt: 1, progressPending: 1 }).lean(),
    PracticumProgressModel.find({}, { items: 1, activityId: 1, candidateSub: 1 }).lean(),
  ]);
  const itemsOf = new Map(docs.map((d) => [progressId(d.activityId, d.candidateSub), (d as ProgressDoc).items ?? null]));
  const stale = new Set<string>();
  const seen = new Map<string, Set<string>>();
  for (const e of entries) {
    const key = progressId(e.activityId, e.candidateSub);
    seen.set(key, (seen.get(key) ?? new Set()).add(String(e._id)));
    if (e.updatedAt && e.updatedAt.getTime() > cutoff) continue;
    const item = itemsOf.get(key)?.[String(e._id)];
    if (!item || item.version !== e.version || e.progressPending) stale.add(key);
  }
  for (const [key, items] of itemsOf) {
    if (items && Object.keys(items).some((id) => !seen.get(key)?.has(id))) stale.add(key);
  }
  for (const key of stale) {
    const [activityId, candidateSub] = JSON.parse(key) as [string, string];
    await recomputeProgress(activityId, candidateSub);
  }
  return stale.size;
}

/**
 * Progress documents of earlier versions (kept by $inc, keyed by ObjectId, no items) are rebuilt
 * from their entries and re-keyed. Idempotent; run at start.
 */
export async function upgradeProgressDocuments(): Promise<number> {
  const docs = await PracticumProgressModel.find({}, { activityId: 1, candidateSub: 1, items: 1 }).lean();
  const legacy = docs.filter((d) => typeof d._id !== 'string' || !(d as ProgressDoc).items);
  for (const d of legacy) await recomputeProgress(String(d.activityId), d.candidateSub);
  return legacy.length;
}

/** Kept for callers of the earlier name: reconcileProgress. */
export const repairPendingProgress = reconcileProgress;

export function toProgressEntry(e: Pick<PracticumEntry, 'status' | 'minutes' | 'category' | 'site' | 'date'> & { _id: Types.ObjectId }): ProgressEntry {
  return {
    id: String(e._id),
    status: e.status,
    date: e.date ?? null,
    minutes: e.minutes ?? 0,
    category: e.category ?? null,
    site: { name: e.site?.name ?? '', district: e.site?.district ?? '', gradeBand: e.site?.gradeBand ?? null, populations: e.site?.populations ?? [] },
  };
}
