import { SHUTDOWN_RESERVE_MS } from './config';
import type { DrainableServer } from './http-drain';
import type { Logger } from './logger';

export interface BackgroundWorker {
  name: string;
  /** Resolves at the worker's next safe point (the grade sender: the end of its current round). */
  stop(): Promise<void>;
}

export interface ShutdownDeps {
  listener: DrainableServer;
  /** Stopped side by side with the HTTP drain, while the database is still open. */
  workers: BackgroundWorker[];
  closeDatabase(): Promise<void>;
  /** SHUTDOWN_TIMEOUT_MS: from the signal to the exit. */
  timeoutMs: number;
  logger: Logger;
  /** Called first (the health endpoint answers 503 from then on). */
  onStart?(): void;
  exit(code: number): void;
}

/**
 * The SIGTERM sequence, bounded by the shutdown limit: stop accepting and let requests finish
 * while background work reaches a safe point, then close the database and exit. The last
 * SHUTDOWN_RESERVE_MS are kept for the database. Exit 0 unless requests had to be cut off (or the
 * database did not close in time: the last-resort timer exits 1).
 */
export function createShutdown(deps: ShutdownDeps): (signal: string) => Promise<void> {
  const { listener, logger } = deps;
  let isStopping = false;
  return async (signal) => {
    if (isStopping) return;
    isStopping = true;
    const startedAt = Date.now();
    deps.onStart?.();
    logger.info({ signal, inFlight: listener.inFlight }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      deps.exit(1);
    }, deps.timeoutMs);
    force.unref();
    const workDeadline = startedAt + deps.timeoutMs - SHUTDOWN_RESERVE_MS;

    const running = new Set(deps.workers.map((w) => w.name));
    const stopped = Promise.all(
      deps.workers.map((w) =>
        w.stop().then(
          () => running.delete(w.name),
          (err: unknown) => logger.error({ err, worker: w.name }, 'shutdown: a background worker failed to stop'),
        ),
      ),
    );
    const drained = await listener.drain(workDeadline);
    if (!drained.isDrained) logger.error({ cut: drained.cut }, 'shutdown: requests still running at the limit were cut off');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, workDeadline - Date.now()))))]);
    clearTimeout(timer);
    // Safe to leave: a grade claimed in a round cut short is sent again once its lease runs out.
    if (running.size) logger.warn({ running: [...running] }, 'shutdown: background work still running at the limit');

    try {
      await deps.closeDatabase();
    } catch (err) {
      clearTimeout(force);
      logger.error({ err }, 'shutdown: the database did not close cleanly');
      deps.exit(1);
      return;
    }
    clearTimeout(force);
    logger.info({ ms: Date.now() - startedAt, drained: drained.isDrained }, 'shutdown complete');
    deps.exit(drained.isDrained ? 0 : 1);
  };
}
