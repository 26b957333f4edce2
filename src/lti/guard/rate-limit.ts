import type { RequestHandler } from 'express';
import { guardErrors } from './guard.errors';

/**
 * A per-IP token bucket kept in process memory. Deliberately DB-free: it bounds a
 * flood against one instance cheaply, but with several instances each keeps its own
 * buckets (the effective limit is N times higher) and a restart resets them. Put a
 * shared limiter (proxy or Redis) in front if that matters.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for key; false when the bucket is empty. */
  take(key: string, now = Date.now()): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, updatedAt: now };
    const refilled = Math.min(this.capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.refillPerSecond);
    const allowed = refilled >= 1;
    this.buckets.set(key, { tokens: allowed ? refilled - 1 : refilled, updatedAt: now });
    if (this.buckets.size > this.maxKeys) this.prune(now);
    return allowed;
  }

  /** Drops buckets that would be full again: they carry no information. */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedAt) / 1000) * this.refillPerSecond >= this.capacity) this.buckets.delete(key);
    }
  }
}

/** perMinute 0 turns limiting off. req.ip honours the app's 'trust proxy' setting. */
export function rateLimit(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  const buckets = new TokenBuckets(perMinute, perMinute / 60);
  return (req, _res, next) => {
    if (buckets.take(req.ip ?? 'unknown')) return next();
    next(guardErrors.rateLimited());
  };
}
