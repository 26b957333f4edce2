/**
 * Transient database errors, retried inside a use case instead of surfacing as a 500: SQLite busy
 * (the embedded database serializes writers; FerretDB gives up after its busy timeout), dropped
 * connections, and MongoDB's retryable errors (a replica set electing a new primary).
 */
const TRANSIENT_TEXT = /SQLITE_BUSY|database is locked|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|connection .* closed|Client network socket disconnected/i;
const TRANSIENT_NAMES = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoPoolClearedError', 'MongoNotConnectedError']);

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
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || !isTransientDbError(err)) throw err;
      await sleep(Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }
}
