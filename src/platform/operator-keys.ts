import type { RequestHandler } from 'express';
import { AppError } from './errors';

const MAX_DEPTH = 20;

/** The first key, at any depth, that MongoDB would read as an operator (`$…`), or null. */
export function findOperatorKey(value: unknown, depth = 0): string | null {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$')) return key;
    const found = findOperatorKey(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses request bodies and queries that carry `$`-keys. Filters are built from
 * zod-validated strings already; this is the second wall in front of every query,
 * in place of mongoose's global sanitizeFilter (which would also neuter the
 * operators our own trusted filters use).
 */
export const rejectOperatorKeys: RequestHandler = (req, _res, next) => {
  const key = findOperatorKey(req.body) ?? findOperatorKey(req.query);
  if (key) return next(new AppError(400, 'operator_key_refused', `The request contains a field named "${key}", which is not allowed.`));
  next();
};
