import express from 'express';
import { databaseState, pingDatabase } from './database/database';

/** Liveness and readiness: 200 only when a real database round trip succeeds. */
export function createHealthRouter(getState: () => { isShuttingDown: boolean; startedAt: Date; version: string }): express.Router {
  const router = express.Router();
  router.get('/health', async (_req, res) => {
    const state = getState();
    const isDatabaseUp = await pingDatabase();
    const isHealthy = isDatabaseUp && !state.isShuttingDown;
    res.status(isHealthy ? 200 : 503).json({
      status: isHealthy ? 'ok' : 'unavailable',
      database: { state: databaseState(), ping: isDatabaseUp ? 'ok' : 'failed' },
      shuttingDown: state.isShuttingDown,
      uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
      version: state.version,
    });
  });
  return router;
}
