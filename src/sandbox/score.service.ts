import { Types } from 'mongoose';
import type { AppConfig } from '../platform/config';
import { insertValidated, updateRaw } from '../platform/database/direct';
import { SandboxGrade, SandboxLineItem, SandboxRejectedScore, SandboxScore, SandboxScoreHead, type SandboxGradeDoc, type SandboxScoreDoc } from './ags.models';
import { issuesText, scoreBody } from './ags.schemas';
import { assertLineItemInCourse, findLineItem, lineItemsUrl } from './ags.service';
import { isGradableInCourse } from './course.service';
import { isDuplicateKeyError, OBJECT_ID_PATTERN } from './model.util';
import type { SandboxError } from './sandbox.errors';
import type { ScoringMode } from './sandbox.types';
import { SCORING_RULES, type CellEffect, type ScoringRules } from './score-rules';
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

interface CellScore {
  courseId: string;
  lineItemId: string;
  userId: string;
  comment: string | null;
  gradingProgress: string;
  timestamp: Date;
}

/**
 * The one write an accepted score makes to its cell document: the newest timestamp, and the cell
 * as the effect says. An absent document is created (upsert); one that was never a cell stays so
 * when the score only clears or keeps the grade.
 */
function cellUpdate(effect: CellEffect, score: CellScore) {
  const identity = { key: cellKey(score.lineItemId, score.userId), courseId: new Types.ObjectId(score.courseId), lineItemId: new Types.ObjectId(score.lineItemId), userId: score.userId };
  const cell = {
    scoreGiven: effect.kind === 'write' ? effect.scoreGiven : null,
    scoreMaximum: effect.kind === 'write' ? effect.scoreMaximum : null,
    comment: score.comment,
    gradingProgress: score.gradingProgress,
    timestamp: score.timestamp,
    updatedAt: new Date(),
  };
  const latestTimestamp = score.timestamp;
  if (effect.kind === 'write') return { $set: { latestTimestamp, hasCell: true, ...cell }, $setOnInsert: identity };
  if (effect.kind === 'clear') return { $set: { latestTimestamp, ...cell }, $setOnInsert: { ...identity, hasCell: false } };
  return { $set: { latestTimestamp }, $setOnInsert: { ...identity, hasCell: false, ...cell } };
}

/**
 * Applies an accepted score to its cell unless a score at least as new (as the rules count it) got
 * there first: one compare-and-set on the cell document, so two posts for one user and line item,
 * from two processes too, can never let an older score win. Returns false for a stale score.
 */
async function advanceCell(rules: ScoringRules, effect: CellEffect, score: CellScore): Promise<boolean> {
  const key = cellKey(score.lineItemId, score.userId);
  const update = cellUpdate(effect, score);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      // Through the driver (a score per grade in a burst): every value in the update is of its stored type already.
      await updateRaw(SandboxGrade, { _id: key, latestTimestamp: rules.acceptsAfter(score.timestamp) }, update, { upsert: true });
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    // The document exists: newer, or a cell kept before the timestamp moved onto it or before cells were keyed by _id.
    const doc = (await SandboxGrade.findOne({ _id: key }).lean()) ?? (await SandboxGrade.findOne({ key }).lean());
    if (!doc) continue;
    if (rules.isStale(score.timestamp, doc.latestTimestamp ?? doc.timestamp)) return false;
    const unchanged = { ...(typeof doc._id === 'string' ? { _id: key } : { key }), latestTimestamp: doc.latestTimestamp ?? { $exists: false } };
    if ((await SandboxGrade.updateOne(unchanged, { $set: update.$set })).matchedCount > 0) return true;
  }
  throw new Error(`the gradebook cell ${key} kept changing; try the score again`);
}

/**
 * Moves the timestamps that databases made before they were kept on the cell document onto it
 * (idempotent: the newest wins; run at start-up, several processes may run it at once).
 */
export async function foldLegacyScoreHeads(): Promise<void> {
  for (const head of await SandboxScoreHead.find().lean()) {
    const latest = { $max: { latestTimestamp: head.timestamp } };
    const onCell = async () => (await SandboxGrade.updateOne({ _id: head._id }, latest)).matchedCount > 0 || (await SandboxGrade.updateOne({ key: head._id }, latest)).matchedCount > 0;
    if (!(await onCell())) {
      const [lineItemId, ...rest] = head._id.split(':');
      const item = OBJECT_ID_PATTERN.test(lineItemId) ? await SandboxLineItem.findById(lineItemId).lean() : null;
      if (item) {
        const fields = { scoreGiven: null, scoreMaximum: null, comment: null, gradingProgress: 'NotReady', timestamp: head.timestamp, latestTimestamp: head.timestamp };
        await SandboxGrade.create({ _id: head._id, key: head._id, courseId: item.courseId, lineItemId: item._id, userId: rest.join(':'), hasCell: false, ...fields }).catch(async (err: unknown) => {
          if (!isDuplicateKeyError(err)) throw err;
          await onCell();
        });
      }
    }
    await SandboxScoreHead.deleteOne({ _id: head._id });
  }
}

/**
 * Accepts or refuses a score and changes the gradebook cell as the course's LMS (Canvas by default,
 * or Moodle: score-rules.ts) would; refusals are recorded for the gradebook page.
 * `scoringMode` is the course's, when the caller has read the settings already.
 * Returns the result URL for the user, as Canvas does.
 */
export async function recordScore(
  config: Pick<AppConfig, 'publicUrl'>,
  courseId: string,
  lineItemId: string,
  body: unknown,
  scoringMode?: ScoringMode,
): Promise<{ resultUrl: string }> {
  await assertLineItemInCourse(courseId, lineItemId);
  const mode = scoringMode ?? (await getSandboxScoringMode(courseId));
  const rules = SCORING_RULES[mode];
  const refuse = (refusal: { status: number; message: string }) => reject(courseId, lineItemId, body, rules.refusal(refusal.status, refusal.message));
  const parsed = scoreBody.safeParse(body);
  if (!parsed.success) return refuse({ status: 400, message: issuesText(parsed.error) });
  const score = parsed.data;
  if (rules.requiresMaximumWithScore && score.scoreGiven != null && score.scoreMaximum == null) {
    return refuse({ status: 400, message: 'scoreMaximum is required when scoreGiven is present' });
  }
  if (!(await isGradableInCourse(courseId, score.userId))) return refuse(rules.notGradable);
  const timestamp = new Date(score.timestamp);
  const effect = rules.cellEffect(score);
  const cell = { courseId, lineItemId, userId: score.userId, comment: score.comment ?? null, gradingProgress: score.gradingProgress, timestamp };
  if (!(await advanceCell(rules, effect, cell))) return refuse(rules.stale(lineItemId, score.userId));
  const extensions = Object.fromEntries(Object.entries(score).filter(([k]) => !KNOWN_SCORE_FIELDS.has(k)));
  // The schema's defaults, casting and validation as create has them, without its save pipeline.
  await insertValidated(SandboxScore, {
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
  const filter: Record<string, unknown> = { lineItemId: item._id, hasCell: { $ne: false } };
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
  const doc = (await SandboxGrade.findOne({ _id: cellKey(lineItemId, userId) }).lean()) ?? (await SandboxGrade.findOne({ key: cellKey(lineItemId, userId) }).lean());
  return doc && doc.hasCell !== false ? doc : null;
}

export async function getSandboxRejectedScores(courseId: string) {
  return SandboxRejectedScore.find({ courseId: new Types.ObjectId(courseId) }).sort({ receivedAt: -1 }).limit(200).lean();
}
