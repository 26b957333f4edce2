import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppError } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { SharedRateLimiter } from '../../platform/shared-rate-limit';
import { guardErrors } from './guard.errors';

/**
 * Requests per client address and minute, counted in the database so that every instance shares
 * one limit (see shared-rate-limit.ts). req.ip honours the app's 'trust proxy' setting.
 * perMinute 0 turns limiting off.
 */
export function rateLimit(name: string, perMinute: number, options: { logger?: Logger; refusal?: () => AppError } = {}): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  const limiter = new SharedRateLimiter({ name, perWindow: perMinute, logger: options.logger });
  const refusal = options.refusal ?? guardErrors.rateLimited;
  return (req: Request, res: Response, next: NextFunction) => {
    limiter.take(req.ip ?? 'unknown').then(
      (isAdmitted) => {
        if (isAdmitted) return next();
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil((60_000 - (Date.now() % 60_000)) / 1000))));
        next(refusal());
      },
      (err: unknown) => next(err),
    );
  };
}
