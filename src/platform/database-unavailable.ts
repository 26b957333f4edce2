import type { RequestHandler } from 'express';
import { countRefusedRequest, isDatabaseAvailable } from './database/availability';
import { AppError } from './errors';

/** Seconds a client is asked to wait; the embedded database is usually back within a few. */
export const DATABASE_RETRY_AFTER_SECONDS = 10;

/** Refused before anything was read or written: nothing the person sent was applied. */
export const databaseUnavailable = () =>
  new AppError(
    503,
    'database_unavailable',
    'Fieldbook is reconnecting to its database. Nothing you sent was saved; please try again in a minute.',
    true,
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
  );

/** The connection was lost while the request was being answered: part of it may have been applied. */
export const databaseInterrupted = () =>
  new AppError(
    503,
    'database_interrupted',
    'Fieldbook lost its connection to its database while answering. Your last change may not have been saved: in a minute, check what is shown and try again.',
    true,
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
  );

/**
 * Early in the pipeline: while the database is known to be down (availability.ts), every request
 * that would need it is answered 503 at once, instead of hanging on the driver and failing late
 * (an LTI launch then looked like a broken session). /health and static files come before it.
 */
export const refuseWhileDatabaseDown: RequestHandler = (_req, _res, next) => {
  if (isDatabaseAvailable()) return next();
  countRefusedRequest();
  next(databaseUnavailable());
};
