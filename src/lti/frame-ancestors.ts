import type { RequestHandler } from 'express';
import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { listPlatforms } from './platform-registry';
import { LTI_ROUTES } from './provider';

/** How long the list of registered platform origins is reused before it is read again. */
export const FRAME_ANCESTORS_TTL_MS = 60_000;

let cached: { origins: string[]; loadedAt: number } | null = null;
let loading: Promise<string[]> | null = null;

/** Forget the cached platform origins (a platform was registered or changed). */
export function invalidateFrameAncestors(): void {
  cached = null;
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** The issuer and OIDC auth endpoint origins of every registered platform. */
async function loadPlatformOrigins(): Promise<string[]> {
  const origins = new Set<string>();
  for (const p of await listPlatforms()) {
    for (const url of [p.issuer, p.authEndpoint]) {
      const origin = originOf(url);
      if (origin) origins.add(origin);
    }
  }
  return [...origins].sort();
}

/**
 * Platform origins, read from the database at most once per TTL; concurrent requests share
 * one read, and a failed read keeps the previous list (or none) instead of failing the page.
 */
export async function platformOrigins(logger?: Logger, now = Date.now()): Promise<string[]> {
  if (cached && now - cached.loadedAt < FRAME_ANCESTORS_TTL_MS) return cached.origins;
  loading ??= loadPlatformOrigins()
    .then((origins) => {
      cached = { origins, loadedAt: Date.now() };
      return origins;
    })
    .catch((err: unknown) => {
      logger?.error({ err }, 'could not read platform origins for frame-ancestors');
      return cached?.origins ?? [];
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

/** CSP source expressions cannot contain ';' or ',' or whitespace; origins from URL parsing never do. */
export function frameAncestorsDirective(origins: string[]): string {
  return `frame-ancestors ${["'self'", ...new Set(origins)].join(' ')}`;
}

/**
 * Narrows helmet's `frame-ancestors 'self' https:` for pages under the LTI mount to this tool
 * and the origins of registered platforms plus config.lti.frameAncestors. Dynamic registration
 * stays framable by any https origin: the platform is not registered yet when it opens it.
 */
export function restrictFrameAncestors(deps: { config: AppConfig; logger: Logger }): RequestHandler {
  const extra = deps.config.lti.frameAncestors;
  return (req, res, next) => {
    if (req.path === LTI_ROUTES.register || req.path.startsWith(`${LTI_ROUTES.register}/`)) return next();
    platformOrigins(deps.logger)
      .then((origins) => {
        const csp = res.getHeader('Content-Security-Policy');
        if (typeof csp === 'string') {
          const directive = frameAncestorsDirective([...origins, ...extra]);
          const rewritten = /(^|;)\s*frame-ancestors [^;]*/.test(csp)
            ? csp.replace(/(^|;)(\s*)frame-ancestors [^;]*/, `$1$2${directive}`)
            : `${csp};${directive}`;
          res.setHeader('Content-Security-Policy', rewritten);
        }
        next();
      })
      .catch(next);
  };
}
