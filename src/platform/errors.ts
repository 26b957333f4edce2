/**
 * One error vocabulary: every error we raise on purpose is an AppError with a
 * status, a stable id (for logs, tests and support) and whether it is expected.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly isExpected = true,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (id: string, message: string, details?: Record<string, unknown>) => new AppError(400, id, message, true, details);
export const unauthorized = (id: string, message: string) => new AppError(401, id, message);
export const forbidden = (id: string, message: string) => new AppError(403, id, message);
export const notFound = (id: string, message: string) => new AppError(404, id, message);
export const conflict = (id: string, message: string) => new AppError(409, id, message);
/** A limit was reached; `details.retryAfterSeconds` (when known) becomes the Retry-After header. */
export const tooManyRequests = (id: string, message: string, details?: Record<string, unknown>) => new AppError(429, id, message, true, details);
export const badGateway = (id: string, message: string) => new AppError(502, id, message);
export const serviceUnavailable = (id: string, message: string) => new AppError(503, id, message);

/** A unique-key clash: code 11000 on MongoDB, code 1 (with E11000 text) on FerretDB. */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: number; message?: string } | null;
  if (!e) return false;
  return e.code === 11000 || e.code === 11001 || (e.code === 1 && /duplicate key|E11000/i.test(e.message ?? ''));
}
