import path from 'node:path';
import mongoose from 'mongoose';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { markDatabaseDown, markDatabaseUp, watchDatabaseConnection } from './availability';
import { startEmbeddedFerretDb, type EmbeddedDatabase } from './ferretdb-launcher';

export interface DatabaseHandle {
  uri: string;
  isEmbedded: boolean;
  /** The embedded FerretDB's process id (undefined with MONGODB_URI, or while it is down). */
  embeddedPid(): number | undefined;
  stop(): Promise<void>;
}

mongoose.set('strictQuery', true);
// While the driver is disconnected, mongoose holds operations until it reconnects (10 s by
// default): a request then hangs and fails late. One second, then the error (a 503, see
// database-unavailable.ts; withTransientRetry gives up at once while the database is down).
mongoose.set('bufferTimeoutMS', 1000);

/**
 * Server selection for each operation. The driver retries a read or write once after a dropped
 * connection, through server selection: with the default (30 s; 10 s here before) a request in
 * flight when the database died waited that long. A request should rather fail within seconds
 * (503, try again). The first connect keeps trying for longer (connectWithRetry).
 */
const SERVER_SELECTION_TIMEOUT_MS = 1500;
const FIRST_CONNECT_DEADLINE_MS = 30_000;

async function connectWithRetry(uri: string, logger: Logger): Promise<void> {
  const deadline = Date.now() + FIRST_CONNECT_DEADLINE_MS;
  for (;;) {
    try {
      await mongoose.connect(uri, { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS });
      return;
    } catch (err) {
      if (Date.now() + SERVER_SELECTION_TIMEOUT_MS > deadline) throw err;
      logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'database not reachable yet; trying again');
    }
  }
}

/**
 * Connects the shared mongoose (7.x, the one ltijs uses too, so both share one
 * connection) to MONGODB_URI, or to an embedded FerretDB when none is given.
 * The embedded FerretDB is supervised (restarted on the same port and data if it exits);
 * either way the driver reconnects by itself, and availability.ts knows meanwhile that the
 * database is down so requests are answered 503 at once instead of hanging.
 */
export async function startDatabase(config: AppConfig, logger: Logger): Promise<DatabaseHandle> {
  let uri = config.mongodbUri;
  let embedded: EmbeddedDatabase | undefined;
  if (!uri) {
    embedded = await startEmbeddedFerretDb({
      dataDir: path.join(config.dataDir, 'ferretdb'),
      logger,
      supervise: {
        onExit: ({ code, signal }) => markDatabaseDown('process', { code, signal }),
        onRestarted: () => markDatabaseUp('process'),
      },
    });
    uri = `${embedded.uri.replace(/\/$/, '')}/fieldbook`;
  }
  try {
    await connectWithRetry(uri, logger);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const watcher = watchDatabaseConnection(mongoose.connection, logger);
  logger.info({ embedded: Boolean(embedded), database: mongoose.connection.name, pid: embedded?.pid() }, 'database connected');
  return {
    uri,
    isEmbedded: Boolean(embedded),
    embeddedPid: () => embedded?.pid(),
    async stop() {
      // First, so neither our own disconnect nor FerretDB's exit reads as an outage.
      watcher.stop();
      mongoose.connection.removeAllListeners();
      await mongoose.disconnect();
      if (embedded) await embedded.stop();
    },
  };
}

/**
 * Runs `setUp` (ltijs's deploy) and takes off again the listeners it put on the shared mongoose
 * connection. ltijs 5.9.9 answers 'disconnected' by opening a second client a second later (with
 * default options) and an 'error' by disconnecting mongoose altogether, which fights the
 * driver's own reconnect after an outage; reconnecting is this module's business.
 */
export async function withoutForeignConnectionListeners(setUp: () => Promise<void>): Promise<void> {
  const events = ['disconnected', 'error', 'connected', 'reconnected', 'open', 'close'] as const;
  const before = new Map(events.map((e) => [e, new Set(mongoose.connection.listeners(e))]));
  await setUp();
  for (const event of events) {
    for (const listener of mongoose.connection.listeners(event)) {
      if (!before.get(event)!.has(listener)) mongoose.connection.off(event, listener as (...args: unknown[]) => void);
    }
  }
}

export function databaseState(): 'connected' | 'connecting' | 'disconnected' | 'disconnecting' {
  const states = ['disconnected', 'connected', 'connecting', 'disconnecting'] as const;
  return states[mongoose.connection.readyState as number] ?? 'disconnected';
}

/** A real round trip, for the health endpoint. */
export async function pingDatabase(timeoutMs = 2000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db) return false;
  try {
    await Promise.race([db.admin().ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs))]);
    return true;
  } catch {
    return false;
  }
}
