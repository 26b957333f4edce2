import type { ErrorRequestHandler, RequestHandler } from 'express';
import { databaseInterrupted } from './database-unavailable';
import { AppError } from './errors';
import type { Logger } from './logger';
import { isDatabaseConnectionError } from './transient';

function wantsJson(accept: string | undefined, path: string): boolean {
  if (path.includes('/api/') || path.startsWith('/sandbox/ags') || path.startsWith('/sandbox/nrps') || path === '/health') return true;
  if (!accept) return false;
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError(404, 'not_found', 'This page does not exist.'));
};

/**
 * A request refused while it was being read keeps its 4xx: body-parser (ours, and ltijs's own
 * parsers inside its sub-app) raises http-errors with `expose` for too large a body, too many form
 * fields, an unsupported charset or content encoding, undecodable gzip or malformed JSON; so does
 * express.static for a path it will not serve. Only errors of our own making are a 500.
 */
function refusedWhileReading(err: unknown): AppError | null {
  const e = err as { status?: unknown; expose?: unknown; type?: unknown } | null;
  if (!e || e.expose !== true || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (e.type === 'parameters.too.many') return new AppError(413, 'too_many_fields', 'The request has too many fields.');
  if (e.status === 413) return new AppError(413, 'payload_too_large', 'The request is too large.');
  if (e.status === 415) return new AppError(415, 'unsupported_body', 'The request body is in a character set or encoding Fieldbook does not read.');
  if (e.status === 400) return new AppError(400, 'malformed_body', 'The request body could not be read.');
  return new AppError(e.status, 'request_refused', 'This request cannot be answered as sent.');
}

/**
 * Final handler: HTML inside the LMS iframe, JSON for API callers. Unexpected
 * errors are logged with their stack and shown only as a reference id.
 */
export function createErrorHandler(logger: Logger, isProduction: boolean): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError =
      err instanceof AppError
        ? err
        : (refusedWhileReading(err) ??
          // The database went away mid-request (the early 503 of database-unavailable.ts did not catch it).
          (isDatabaseConnectionError(err) ? databaseInterrupted() : null) ??
          new AppError(500, 'internal_error', 'Something went wrong on our side, and your last change may not have been saved. Please go back, check what is shown, and try again.', false));
    const reference = (req as { id?: unknown }).id ?? undefined;
    if (appError !== err && appError.status === 503) logger.warn({ err, path: req.path, reference }, 'database connection lost during a request');
    else if (appError.isExpected) logger.info({ err: { id: appError.id, message: appError.message }, path: req.path, reference }, 'request refused');
    else logger.error({ err, path: req.path, reference }, 'unexpected error');

    if (res.headersSent) return;
    const body = {
      error: appError.id,
      message: appError.message,
      reference,
      ...(appError.details ? { details: appError.details } : {}),
      ...(!isProduction && !appError.isExpected ? { debug: String((err as Error)?.message ?? err) } : {}),
    };
    res.status(appError.status);
    if (typeof appError.details?.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(appError.details.retryAfterSeconds));
    if (wantsJson(req.headers.accept, req.originalUrl)) {
      res.json(body);
      return;
    }
    res.render('error', { title: `Error ${appError.status}`, status: appError.status, ...body });
  };
}
