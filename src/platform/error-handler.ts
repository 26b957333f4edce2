import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from './errors';
import type { Logger } from './logger';

function wantsJson(accept: string | undefined, path: string): boolean {
  if (path.includes('/api/') || path.startsWith('/sandbox/ags') || path.startsWith('/sandbox/nrps') || path === '/health') return true;
  if (!accept) return false;
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError(404, 'not_found', 'This page does not exist.'));
};

/**
 * Final handler: HTML inside the LMS iframe, JSON for API callers. Unexpected
 * errors are logged with their stack and shown only as a reference id.
 */
export function createErrorHandler(logger: Logger, isProduction: boolean): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyTooLarge = (err as { type?: string }).type === 'entity.too.large';
    const badBody = (err as { type?: string }).type === 'entity.parse.failed';
    const appError =
      err instanceof AppError
        ? err
        : bodyTooLarge
          ? new AppError(413, 'payload_too_large', 'The request is too large.')
          : badBody
            ? new AppError(400, 'malformed_body', 'The request body could not be read.')
            : new AppError(500, 'internal_error', 'Something went wrong on our side. Nothing you entered was discarded; please try again.', false);
    const reference = (req as { id?: unknown }).id ?? undefined;
    if (appError.isExpected) logger.info({ err: { id: appError.id, message: appError.message }, path: req.path, reference }, 'request refused');
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
    if (wantsJson(req.headers.accept, req.originalUrl)) {
      res.json(body);
      return;
    }
    res.render('error', { title: `Error ${appError.status}`, status: appError.status, ...body });
  };
}
