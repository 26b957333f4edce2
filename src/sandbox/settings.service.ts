import { findManyRaw } from '../platform/database/direct';
import { isDuplicateKeyError } from './model.util';
import { SandboxSetting, type SandboxSettingDoc } from './sandbox.models';
import { AGS_MODES, SCORING_MODES, type AgsMode, type ScoringMode } from './sandbox.types';

const GLOBAL = 'global';
const courseKey = (courseId: string): string => `course:${courseId}`;

/** Atomic update of a settings document, creating it first if needed (FerretDB upserts are not atomic). */
async function updateSetting(key: string, update: Record<string, unknown>): Promise<void> {
  const res = await SandboxSetting.updateOne({ key }, update);
  if (res.matchedCount > 0) return;
  try {
    await SandboxSetting.create({ key, agsMode: null, retryAfterSeconds: 2, tokenRequests: 0, tokensIssued: 0 });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  await SandboxSetting.updateOne({ key }, update);
}

export async function ensureSandboxSettings(): Promise<void> {
  await updateSetting(GLOBAL, { $inc: { tokenRequests: 0 } });
}

export interface AgsModeOptions {
  /** Limit the switch to one course so parallel tests do not disturb each other. */
  courseId?: string;
  /** Retry-After seconds sent in 'rate-limited' mode (default 2). */
  retryAfterSeconds?: number;
}

/** Switches the AGS and NRPS endpoints (stored in the database, so every app process sees it). */
export async function setSandboxAgsMode(mode: AgsMode, options: AgsModeOptions = {}): Promise<void> {
  if (!AGS_MODES.includes(mode)) throw new Error(`unknown AGS mode ${String(mode)}`);
  const key = options.courseId ? courseKey(options.courseId) : GLOBAL;
  // 'up' on a course clears its override, so the global switch applies again.
  const agsMode = options.courseId && mode === 'up' ? null : mode;
  await updateSetting(key, { $set: { agsMode, retryAfterSeconds: options.retryAfterSeconds ?? 2 } });
}

export interface EffectiveAgsMode {
  mode: AgsMode;
  retryAfterSeconds: number;
}

export interface ServiceSettings extends EffectiveAgsMode {
  /** The course's scoring rules ('canvas' without a course). */
  scoringMode: ScoringMode;
}

/**
 * Everything a service request needs from the settings, in one read: the effective AGS mode and
 * the course's scoring mode. Read on every request, so a switch made by any process applies at once.
 */
export async function getSandboxServiceSettings(courseId?: string): Promise<ServiceSettings> {
  const keys = courseId ? [courseKey(courseId), GLOBAL] : [GLOBAL];
  // Through the driver (every AGS request reads it): the keys are strings, as stored.
  const docs = await findManyRaw<SandboxSettingDoc>(SandboxSetting, { key: { $in: keys } });
  const scoringMode = (courseId && docs.find((d) => d.key === courseKey(courseId))?.scoringMode) || 'canvas';
  for (const key of keys) {
    const doc = docs.find((d) => d.key === key);
    if (doc?.agsMode) return { mode: doc.agsMode, retryAfterSeconds: doc.retryAfterSeconds, scoringMode };
  }
  return { mode: 'up', retryAfterSeconds: 2, scoringMode };
}

export async function getSandboxAgsMode(courseId?: string): Promise<EffectiveAgsMode> {
  const { mode, retryAfterSeconds } = await getSandboxServiceSettings(courseId);
  return { mode, retryAfterSeconds };
}

/** Makes one course's gradebook follow Canvas's (default) or Moodle's scoring rules (score-rules.ts). */
export async function setSandboxScoringMode(courseId: string, mode: ScoringMode): Promise<void> {
  if (!SCORING_MODES.includes(mode)) throw new Error(`unknown scoring mode ${String(mode)}`);
  await updateSetting(courseKey(courseId), { $set: { scoringMode: mode } });
}

export async function getSandboxScoringMode(courseId: string): Promise<ScoringMode> {
  const doc = await SandboxSetting.findOne({ key: courseKey(courseId) }).lean();
  return doc?.scoringMode ?? 'canvas';
}

export async function countTokenRequest(issued: boolean): Promise<void> {
  await updateSetting(GLOBAL, { $inc: { tokenRequests: 1, tokensIssued: issued ? 1 : 0 } });
}

/** How many requests reached POST /sandbox/token, and how many got a token (the benchmark reports these). */
export async function getSandboxTokenStats(): Promise<{ tokenRequests: number; tokensIssued: number }> {
  const doc = await SandboxSetting.findOne({ key: GLOBAL });
  return { tokenRequests: doc?.tokenRequests ?? 0, tokensIssued: doc?.tokensIssued ?? 0 };
}
