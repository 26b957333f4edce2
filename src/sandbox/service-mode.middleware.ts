import type { RequestHandler, Response } from 'express';
import { canvasError } from './sandbox.errors';
import { getSandboxServiceSettings, type ServiceSettings } from './settings.service';

/** What 'slow' mode waits before answering: longer than a sensible client timeout. */
export const SLOW_MODE_DELAY_MS = 15_000;

/** The settings the gate read, kept for the handler so a request reads them once. */
export function serviceSettingsOf(res: Response): ServiceSettings | undefined {
  return (res.locals as { sandboxSettings?: ServiceSettings }).sandboxSettings;
}

/** Applies the AGS mode switch ('down' → 503, 'slow' → late answer, 'rate-limited' → 429) to AGS and NRPS. */
export const serviceModeGate: RequestHandler = (req, res, next) => {
  const courseId = typeof req.params.courseId === 'string' ? req.params.courseId : undefined;
  getSandboxServiceSettings(courseId)
    .then((settings) => {
      const { mode, retryAfterSeconds } = settings;
      (res.locals as { sandboxSettings?: ServiceSettings }).sandboxSettings = settings;
      if (mode === 'down') return next(canvasError(503, 'service_unavailable', 'The LMS is temporarily unavailable'));
      if (mode === 'rate-limited') {
        const err = canvasError(429, 'too_many_requests', 'Rate limit exceeded');
        res.setHeader('Retry-After', String(retryAfterSeconds));
        return next(err);
      }
      if (mode === 'slow') {
        const timer = setTimeout(next, SLOW_MODE_DELAY_MS);
        res.on('close', () => clearTimeout(timer));
        return undefined;
      }
      return next();
    })
    .catch(next);
};
