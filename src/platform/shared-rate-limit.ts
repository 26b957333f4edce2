import { isDuplicateKeyError } from './errors';
import type { Logger } from './logger';
import { RateLimitBlockModel } from './rate-limit-block.model';

/**
 * A request limit per key (a client address) and fixed one-minute window, shared by every
 * instance through the database, so N instances admit the limit once, not N times.
 *
 * The window's allowance is cut into at most BLOCKS_PER_WINDOW blocks. An instance that needs to
 * admit a request for a key and holds no unused allowance reserves the next block by inserting its
 * document (one insert, atomic by its unique _id); the requests of that block are then admitted from
 * memory. So a flood costs one insert per block (at the default 600/min, one per 30 requests), the
 * total admitted across instances never exceeds the limit, and a request is refused only after the
 * database showed every block of the window taken (from then on, until the window ends, refusals
 * come from memory). The price: allowance reserved by one instance and not used there is not used
 * elsewhere, so with k instances serving one client, up to k × (block − 1) requests of a window may
 * be refused early. Windows are fixed: a client may get up to twice the limit across a window edge.
 */

export const WINDOW_MS = 60_000;
export const BLOCKS_PER_WINDOW = 20;
/** How often an instance deletes block documents of ended windows (a scan on FerretDB). */
const SWEEP_EVERY_MS = 5 * 60_000;
const MAX_LOCAL_WINDOWS = 20_000;

interface LocalWindow {
  endsAt: number;
  remaining: number;
  nextBlock: number;
  isFull: boolean;
  reserving?: Promise<void>;
}

export interface SharedRateLimiterOptions {
  /** Names the limiter in block ids (several limiters share the collection). */
  name: string;
  perWindow: number;
  logger?: Logger;
  windowMs?: number;
}

export class SharedRateLimiter {
  readonly blockSize: number;
  readonly blocks: number;
  private readonly windows = new Map<string, LocalWindow>();
  private lastSweep = 0;
  private lastWarning = 0;
  private readonly windowMs: number;

  constructor(private readonly options: SharedRateLimiterOptions) {
    if (!Number.isInteger(options.perWindow) || options.perWindow < 1) throw new Error('perWindow must be a positive integer');
    this.windowMs = options.windowMs ?? WINDOW_MS;
    this.blockSize = Math.ceil(options.perWindow / BLOCKS_PER_WINDOW);
    this.blocks = Math.ceil(options.perWindow / this.blockSize);
  }

  /** The requests block n (1-based) grants: the last block takes what is left of the limit. */
  private sizeOf(n: number): number {
    return Math.min(this.blockSize, this.options.perWindow - (n - 1) * this.blockSize);
  }

  /** Admits one request for key now, or refuses (false). */
  async take(key: string, now = Date.now()): Promise<boolean> {
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    // The limit is part of the id: limiters configured differently (a rolling config change) never share blocks of different sizes.
    const id = `${this.options.name}:${this.options.perWindow}|${key}|${start}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { endsAt: start + this.windowMs, remaining: 0, nextBlock: 1, isFull: false };
      this.windows.set(id, window);
      this.forgetEnded(now);
    }
    for (;;) {
      if (window.remaining > 0) {
        window.remaining -= 1;
        return true;
      }
      if (window.isFull) return false;
      // One reservation at a time per window and instance: concurrent requests wait for it.
      window.reserving ??= this.reserve(id, window, now).finally(() => {
        if (window) window.reserving = undefined;
      });
      await window.reserving;
    }
  }

  private async reserve(id: string, window: LocalWindow, now: number): Promise<void> {
    const expiresAt = new Date(window.endsAt);
    for (let n = window.nextBlock; n <= this.blocks; n += 1) {
      try {
        await RateLimitBlockModel.create({ _id: `${id}#${n}`, expiresAt });
      } catch (err) {
        // Another instance holds this block: try the next one.
        if (isDuplicateKeyError(err)) continue;
        // The database cannot count: count this block here rather than refuse everyone or fail the request.
        this.warn(err);
        window.nextBlock = n + 1;
        window.remaining += this.sizeOf(n);
        return;
      }
      window.nextBlock = n + 1;
      window.remaining += this.sizeOf(n);
      if (n === 1) this.sweep(now);
      return;
    }
    window.nextBlock = this.blocks + 1;
    window.isFull = true;
  }

  private forgetEnded(now: number): void {
    if (this.windows.size <= MAX_LOCAL_WINDOWS) return;
    for (const [id, w] of this.windows) if (w.endsAt <= now && !w.reserving) this.windows.delete(id);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    // Each limiter sweeps only its own blocks, by its own clock: a limiter with another window (or a
    // test passing its own time) never deletes blocks another limiter is still counting.
    // Leftovers only take space: a failure is let go.
    RateLimitBlockModel.deleteMany({ _id: { $regex: `^${escapeRegex(this.options.name)}:` }, expiresAt: { $lte: new Date(now) } }).catch(() => undefined);
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.options.logger?.warn({ err, limiter: this.options.name }, 'rate limit: the database could not count; counting in this instance meanwhile');
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
