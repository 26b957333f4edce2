import { Types } from 'mongoose';
import type { AppConfig } from '../platform/config';
import { SandboxGrade, SandboxRejectedScore, SandboxScore, SandboxScoreHead, type SandboxGradeDoc, type SandboxScoreDoc } from './ags.models';
import { issuesText, scoreBody } from './ags.schemas';
import { findLineItem, lineItemsUrl } from './ags.service';
import { isDuplicateKeyError } from './model.util';
import { isGradable } from './roles.service';
import type { SandboxError } from './sandbox.errors';
import { SandboxPerson } from './sandbox.models';
import { SCORING_RULES, type CellEffect } from './score-rules';
import { getSandboxScoringMode } from './settings.service';

const KNOWN_SCORE_FIELDS = new Set(['userId', 'scoreGiven', 'scoreMaximum', 'comment', 'timestamp', 'activityProgress', 'gradingProgress']);

async function reject(courseId: string, lineItemId: string, body: unknown, error: SandboxError): Promise<never> {
  const userId = typeof body === 'object' && body !== null && typeof (body as { userId?: unknown }).userId === 'string' ? (body as { userId: string }).userId : null;
  await SandboxRejectedScore.create({
    courseId: new Types.ObjectId(courseId),
    lineItemId: new Types.ObjectId(lineItemId),
    userId,
    status: error.status,
    reason: error.message,
    bodyExcerpt: JSON.stringify(body ?? null).slice(0, 1000),
    receivedAt: new Date(),
  });
  throw error;
}

const cellKey = (lineItemId: string, userId: string) => `${lineItemId}:${userId}`;

interface CellWrite {
  userId: string;
  comment: string | null;
  gradingProgress: string;
}

/** Writes the cell (creating it), or empties an existing one: an absent cell is already empty. */
async function applyToCell(courseId: string, lineItemId: string, effect: Exclude<CellEffect, { kind: 'keep' }>, score: CellWrite, timestamp: Date): Promise<void> {
  const key = cellKey(lineItemId, score.userId);
  const fields = {
    scoreGiven: effect.kind === 'write' ? effect.scoreGiven : null,
    scoreMaximum: effect.kind === 'write' ? effect.scoreMaximum : null,
    comment: score.comment,
    gradingProgress: score.gradingProgress,
    timestamp,
    updatedAt: new Date(),
  };
  if ((await SandboxGrade.updateOne({ _id: key }, { $set: fields })).matchedCount > 0) return;
  if (effect.kind === 'clear') {
    // No cell to empty, unless one was written before cells were keyed by _id.
    await SandboxGrade.updateOne({ key }, { $set: fields });
    return;
  }
  try {
    await SandboxGrade.create({ _id: key, key, courseId: new Types.ObjectId(courseId), lineItemId: new Types.ObjectId(lineItemId), userId: score.userId, ...fields });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // A concurrent first score, or a cell written before cells were keyed by _id.
    if ((await SandboxGrade.updateOne({ _id: key }, { $set: fields })).matchedCount === 0) await SandboxGrade.updateOne({ key }, { $set: fields });
  }
}

/** Moves the line item's latest timestamp for the user forward (never back). */
async function advanceHead(key: string, timestamp: Date): Promise<void> {
  const write = () => SandboxScoreHead.updateOne({ _id: key }, { $max: { timestamp } }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}

/**
 * Accepts or refuses a score and changes the gradebook cell as the course's LMS (Canvas by default,
 * or Moodle: score-rules.ts) would; refusals are recorded for the gradebook page.
 * Returns the result URL for the user, as Canvas does.
 */
export async function recordScore(config: Pick<AppConfig, 'publicUrl'>, courseId: string, lineItemId: string, body: unknown): Promise<{ resultUrl: string }> {
  await findLineItem(courseId, lineItemId);
  const mode = await getSandboxScoringMode(courseId);
  const rules = SCORING_RULES[mode];
  const refuse = (refusal: { status: number; message: string }) => reject(courseId, lineItemId, body, rules.refusal(refusal.status, refusal.message));
  const parsed = scoreBody.safeParse(body);
  if (!parsed.success) return refuse({ status: 400, message: issuesText(parsed.error) });
  const score = parsed.data;
  if (rules.requiresMaximumWithScore && score.scoreGiven != null && score.scoreMaximum == null) {
    return refuse({ status: 400, message: 'scoreMaximum is required when scoreGiven is present' });
  }
  const person = await SandboxPerson.findOne({ courseId: new Types.ObjectId(courseId), sub: score.userId });
  if (!person || !isGradable(person.roles)) return refuse(rules.notGradable);
  const timestamp = new Date(score.timestamp);
  const head = await SandboxScoreHead.findOne({ _id: cellKey(lineItemId, score.userId) }).lean();
  if (head && rules.isStale(timestamp, head.timestamp)) return refuse(rules.stale(lineItemId, score.userId));
  const extensions = Object.fromEntries(Object.entries(score).filter(([k]) => !KNOWN_SCORE_FIELDS.has(k)));
  const effect = rules.cellEffect(score);
  await SandboxScore.create({
    courseId: new Types.ObjectId(courseId),
    lineItemId: new Types.ObjectId(lineItemId),
    userId: score.userId,
    scoreGiven: score.scoreGiven ?? null,
    scoreMaximum: score.scoreMaximum ?? null,
    comment: score.comment ?? null,
    activityProgress: score.activityProgress,
    gradingProgress: score.gradingProgress,
    timestamp,
    timestampText: score.timestamp,
    extensionsJson: Object.keys(extensions).length ? JSON.stringify(extensions) : null,
    recordedInGradebook: effect.kind === 'write',
    gradebookEffect: effect.kind,
    scoringMode: mode,
    receivedAt: new Date(),
  });
  await advanceHead(cellKey(lineItemId, score.userId), timestamp);
  if (effect.kind !== 'keep') await applyToCell(courseId, lineItemId, effect, { userId: score.userId, comment: score.comment ?? null, gradingProgress: score.gradingProgress }, timestamp);
  const itemUrl = `${lineItemsUrl(config, courseId)}/${lineItemId}`;
  return { resultUrl: `${itemUrl}/results?user_id=${encodeURIComponent(score.userId)}` };
}

export interface ResultJson {
  id: string;
  scoreOf: string;
  userId: string;
  resultScore?: number;
  resultMaximum?: number;
  comment?: string;
}

/** Results: the gradebook grade scaled to the line item maximum, as Canvas reports it. */
export async function listResults(
  config: Pick<AppConfig, 'publicUrl'>,
  courseId: string,
  lineItemId: string,
  query: { userId?: string; page: number; limit: number },
): Promise<{ results: ResultJson[]; hasNext: boolean }> {
  const item = await findLineItem(courseId, lineItemId);
  const filter: Record<string, unknown> = { lineItemId: item._id };
  if (query.userId) filter.userId = query.userId;
  const grades = await SandboxGrade.find(filter)
    .sort({ _id: 1 })
    .skip((query.page - 1) * query.limit)
    .limit(query.limit + 1);
  const itemUrl = `${lineItemsUrl(config, courseId)}/${lineItemId}`;
  const results = grades.slice(0, query.limit).map((g: SandboxGradeDoc): ResultJson => {
    const r: ResultJson = { id: `${itemUrl}/results/${encodeURIComponent(g.userId)}`, scoreOf: itemUrl, userId: g.userId, resultMaximum: item.scoreMaximum };
    if (g.scoreGiven !== null && g.scoreMaximum) r.resultScore = Math.round((g.scoreGiven / g.scoreMaximum) * item.scoreMaximum * 1000) / 1000;
    if (g.comment) r.comment = g.comment;
    return r;
  });
  return { results, hasNext: grades.length > query.limit };
}

/** Scores the Sandbox accepted for a line item (newest first) — for tests and the gradebook page. */
export async function getSandboxScores(lineItemId: string, userId?: string): Promise<SandboxScoreDoc[]> {
  const filter: Record<string, unknown> = { lineItemId: new Types.ObjectId(lineItemId) };
  if (userId) filter.userId = userId;
  return SandboxScore.find(filter).sort({ timestamp: -1, _id: -1 }).lean();
}

export async function getSandboxGrade(lineItemId: string, userId: string): Promise<SandboxGradeDoc | null> {
  return (await SandboxGrade.findOne({ _id: cellKey(lineItemId, userId) }).lean()) ?? SandboxGrade.findOne({ key: cellKey(lineItemId, userId) }).lean();
}

export async function getSandboxRejectedScores(courseId: string) {
  return SandboxRejectedScore.find({ courseId: new Types.ObjectId(courseId) }).sort({ receivedAt: -1 }).limit(200).lean();
}
