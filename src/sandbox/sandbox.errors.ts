import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../platform/logger';
import { isDatabaseConnectionError } from '../platform/transient';

/** An error the Sandbox answers on purpose: the status and message are what a real LMS would send. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The JSON body for service routes (e.g. Canvas's `errors` object; Moodle's score refusals send `[]`). */
    readonly body?: Record<string, unknown> | unknown[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export const badRequest = (message: string, code = 'bad_request'): SandboxError => new SandboxError(400, code, message);
export const notFound = (message = 'Not found'): SandboxError => new SandboxError(404, 'not_found', message);

/** Canvas answers AGS and NRPS errors as `{ errors: { type, message } }`. */
export function canvasError(status: number, type: string, message: string): SandboxError {
  return new SandboxError(status, type, message, { errors: { type, message } });
}

const SERVICE_PATH = /^\/(ags|nrps|token|jwks)(\/|$)/;

/**
 * Final handler of the Sandbox router: JSON for service routes, an HTML page for browser routes,
 * never a stack trace. Unexpected errors are logged and answered as a plain 500.
 */
export function sandboxErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // The database is gone (not a Sandbox fault): the app's handler answers it 503 with Retry-After.
    if (res.headersSent || isDatabaseConnectionError(err)) return next(err);
    const known = err instanceof SandboxError ? err : null;
    if (!known) logger.error({ err, path: req.originalUrl }, 'sandbox: unexpected error');
    const status = known?.status ?? 500;
    const message = known?.message ?? 'The Sandbox LMS hit an unexpected error.';
    for (const [name, value] of Object.entries(known?.headers ?? {})) res.setHeader(name, value);
    if (SERVICE_PATH.test(req.path)) {
      res.status(status).json(known?.body ?? { error: known?.code ?? 'server_error', error_description: message });
      return;
    }
    res.status(status).render('sandbox/error', { title: `Sandbox LMS — error ${status}`, status, message });
  };
}
