import type { Request, Response } from 'express';
import { databaseInterrupted } from './database-unavailable';
import { AppError } from './errors';
import type { Logger } from './logger';
import { isDatabaseConnectionError } from './transient';

/**
 * The JSON answer of a script's request (autosave) that failed: the AppError as it is, the database
 * lost mid-request as a 503 with Retry-After (what was sent may or may not be kept), anything else a
 * logged 500 saying `fallback`.
 */
export function sendJsonError(res: Response, req: Request, err: unknown, logger: Logger, what: string, fallback: string): void {
  const e = err instanceof AppError ? err : isDatabaseConnectionError(err) ? databaseInterrupted() : null;
  if (!e || !e.isExpected) logger.error({ err, path: req.path }, what);
  if (typeof e?.details?.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(e.details.retryAfterSeconds));
  res.status(e?.status ?? 500).json({ error: e?.id ?? 'internal_error', message: e?.message ?? fallback, ...(e?.details ? { details: e.details } : {}) });
}
