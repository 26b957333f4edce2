import type { Connection } from 'mongoose';
import type { Logger } from '../logger';

/**
 * A cheap in-memory answer to "can the database be reached right now?", read on every request
 * (database-unavailable.ts refuses requests with a 503 while it says no) and by the background
 * workers. Two sources can say "down": the supervisor of the embedded FerretDB (its process
 * exited and is not back yet) and the driver (mongoose's 'disconnected' until 'connected' /
 * 'reconnected'). While down, a ping every half second asks the driver to look again (its own
 * heartbeat is every 10 s), so requests are let through as soon as the database answers.
 */
export type DownSource = 'process' | 'connection';

const PROBE_EVERY_MS = 500;
const PROBE_TIMEOUT_MS = 1500;

const down = new Set<DownSource>();
let downSince: number | null = null;
let refusedWhileDown = 0;
let logger: Logger | null = null;
let connection: Connection | null = null;
let probeTimer: NodeJS.Timeout | undefined;
const onAvailable = new Set<() => void>();

export function isDatabaseAvailable(): boolean {
  return down.size === 0;
}

/** For the operator log line when the database is back. */
export function countRefusedRequest(): void {
  refusedWhileDown += 1;
}

/** Called (once per outage) when the database can be reached again; returns an unsubscribe. */
export function whenDatabaseAvailable(listener: () => void): () => void {
  onAvailable.add(listener);
  return () => onAvailable.delete(listener);
}

export function markDatabaseDown(source: DownSource, detail: Record<string, unknown> = {}): void {
  if (down.has(source)) return;
  const wasAvailable = down.size === 0;
  down.add(source);
  if (wasAvailable) {
    downSince = Date.now();
    refusedWhileDown = 0;
    logger?.warn({ source, ...detail }, 'database unavailable: requests are answered 503 until it is back');
  }
  scheduleProbe();
}

export function markDatabaseUp(source: DownSource): void {
  if (!down.delete(source) || down.size > 0) return;
  logger?.info({ downMs: downSince === null ? null : Date.now() - downSince, refusedRequests: refusedWhileDown }, 'database available again');
  downSince = null;
  clearTimeout(probeTimer);
  probeTimer = undefined;
  for (const listener of onAvailable) listener();
}

function scheduleProbe(): void {
  if (probeTimer || !connection) return;
  probeTimer = setTimeout(() => void probe(), PROBE_EVERY_MS);
  probeTimer.unref();
}

async function probe(): Promise<void> {
  const db = connection?.db;
  // The process is still down: nothing to ping until the supervisor has it back.
  if (db && !down.has('process')) {
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      db.admin().ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    // mongoose sets readyState from the same driver event that let the ping through.
    if (answered && connection?.readyState === 1) markDatabaseUp('connection');
  }
  probeTimer = undefined;
  if (!isDatabaseAvailable()) scheduleProbe();
}

/** Follows mongoose's connection events; stop() before closing the connection on purpose. */
export function watchDatabaseConnection(conn: Connection, log: Logger): { stop(): void } {
  logger = log;
  connection = conn;
  const onDisconnected = () => markDatabaseDown('connection', { readyState: conn.readyState });
  const onConnected = () => markDatabaseUp('connection');
  // Without a listener an 'error' event would be thrown; the driver reconnects by itself.
  const onError = (err: unknown) => log.error({ err }, 'database connection error');
  conn.on('disconnected', onDisconnected);
  conn.on('connected', onConnected);
  conn.on('reconnected', onConnected);
  conn.on('error', onError);
  return {
    stop() {
      conn.off('disconnected', onDisconnected);
      conn.off('connected', onConnected);
      conn.off('reconnected', onConnected);
      conn.off('error', onError);
      clearTimeout(probeTimer);
      probeTimer = undefined;
      connection = null;
      down.clear();
    },
  };
}
