import { isDatabaseAvailable, whenDatabaseAvailable } from './database/availability';

/**
 * Transient database errors, retried inside a use case instead of surfacing as a 500: SQLite busy
 * (the embedded database serializes writers; FerretDB gives up after its busy timeout), dropped
 * connections, and MongoDB's retryable errors (a replica set electing a new primary).
 */
const TRANSIENT_TEXT = /SQLITE_BUSY|database is locked|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|connection .* closed|Client network socket disconnected|buffering timed out/i;
const CONNECTION_NAMES = ['DatabaseDownError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoPoolClearedError', 'MongoNotConnectedError', 'MongoTopologyClosedError'];
const TRANSIENT_NAMES = new Set(CONNECTION_NAMES);
/** The database could not be reached at all (not a busy one): the driver lost it, or mongoose gave up waiting for it. */
const CONNECTION_TEXT = /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|connection .* closed|Client network socket disconnected|buffering timed out|Server selection timed out/i;

/** Raised instead of trying a step while the database is known to be down (availability.ts). */
export class DatabaseDownError extends Error {
  constructor() {
    super('The database is unavailable (its connection was lost); not tried.');
    this.name = 'DatabaseDownError';
  }
}

/** A lost or unreachable database (answered 503 by the error handler), as opposed to a busy one. */
export function isDatabaseConnectionError(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name && CONNECTION_NAMES.includes(e.name)) return true;
  // Only the driver's and mongoose's own errors: an LMS that refuses a connection is not the database.
  return /^Mongo/.test(e.name ?? '') && CONNECTION_TEXT.test(e.message ?? '');
}

export function isTransientDbError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; hasErrorLabel?: (label: string) => boolean; code?: number } | null;
  if (!e) return false;
  if (typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('TransientTransactionError'))) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  return TRANSIENT_TEXT.test(e.message ?? '');
}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` again after a transient database error, with jittered exponential backoff. Only wrap
 * steps that are safe to repeat (reads, idempotent writes, compare-and-set updates).
 */
export async function withTransientRetry<T>(step: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseMs ?? 25;
  const sleep = options.sleep ?? pause;
  for (let attempt = 1; ; attempt += 1) {
    // Known to be down: each step would only wait for the driver to give up, then fail.
    if (!isDatabaseAvailable()) throw new DatabaseDownError();
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || !isTransientDbError(err)) throw err;
      // Known to be down (its process exited, the driver lost it): waiting here only delays the 503.
      if (!isDatabaseAvailable()) throw err;
      await sleep(Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }
}

/**
 * Clean-up that must not be lost to an outage (releasing a lock whose release failed): tries
 * `step` in the background, again a second later while the database answers transient errors,
 * and again as soon as a lost database is back; at most `attempts` times in all.
 */
export function retryInBackground(step: () => Promise<unknown>, attempts = 10): void {
  const attempt = (left: number) => {
    step().catch((err: unknown) => {
      if (left <= 1 || !isTransientDbError(err)) return;
      if (isDatabaseAvailable()) {
        setTimeout(() => attempt(left - 1), 1000).unref();
        return;
      }
      const unsubscribe = whenDatabaseAvailable(() => {
        unsubscribe();
        attempt(left - 1);
      });
    });
  };
  attempt(attempts);
}
