import path from 'node:path';
import mongoose from 'mongoose';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { startEmbeddedFerretDb } from './ferretdb-launcher';

export interface DatabaseHandle {
  uri: string;
  isEmbedded: boolean;
  stop(): Promise<void>;
}

mongoose.set('strictQuery', true);

/**
 * Connects the shared mongoose (7.x, the one ltijs uses too, so both share one
 * connection) to MONGODB_URI, or to an embedded FerretDB when none is given.
 */
export async function startDatabase(config: AppConfig, logger: Logger): Promise<DatabaseHandle> {
  let uri = config.mongodbUri;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!uri) {
    const embedded = await startEmbeddedFerretDb({ dataDir: path.join(config.dataDir, 'ferretdb'), logger });
    uri = `${embedded.uri.replace(/\/$/, '')}/fieldbook`;
    stopEmbedded = embedded.stop;
  }
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 10000 });
  logger.info({ embedded: Boolean(stopEmbedded), database: mongoose.connection.name }, 'database connected');
  return {
    uri,
    isEmbedded: Boolean(stopEmbedded),
    async stop() {
      mongoose.connection.removeAllListeners();
      await mongoose.disconnect();
      if (stopEmbedded) await stopEmbedded();
    },
  };
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
