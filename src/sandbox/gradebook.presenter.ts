import { Types } from 'mongoose';
import { SandboxGrade, SandboxLineItem, SandboxRejectedScore, SandboxScore } from './ags.models';
import { getSandboxCourse, listSandboxPeople } from './course.service';
import { isLearner, isTestUser } from './roles.service';
import { SandboxPlacement } from './sandbox.models';
import { SCORING_RULES } from './score-rules';
import { getSandboxScoringMode } from './settings.service';

const fmt = (n: number | null): string => (n === null ? '—' : String(Math.round(n * 100) / 100));

const EFFECT_NOTES = {
  write: null,
  clear: 'Cleared the grade (grading progress or no scoreGiven)',
  keep: 'Not written to the gradebook (grade preserved)',
} as const;

/** Scores kept before the effect was recorded only say whether they wrote the cell. */
function effectNote(s: { gradebookEffect?: keyof typeof EFFECT_NOTES | null; recordedInGradebook: boolean }): string | null {
  return s.gradebookEffect ? EFFECT_NOTES[s.gradebookEffect] : s.recordedInGradebook ? null : 'Not written to the gradebook (grading progress)';
}

/** Everything the gradebook page shows, as plain strings (the template only prints). */
export async function presentGradebook(courseId: string) {
  const course = await getSandboxCourse(courseId);
  const cid = new Types.ObjectId(courseId);
  const [mode, people, lineItems, scores, grades, rejected, placements] = await Promise.all([
    getSandboxScoringMode(courseId),
    listSandboxPeople(courseId),
    SandboxLineItem.find({ courseId: cid }).sort({ _id: 1 }).lean(),
    SandboxScore.find({ courseId: cid }).sort({ timestamp: -1, _id: -1 }).lean(),
    SandboxGrade.find({ courseId: cid, hasCell: { $ne: false } }).lean(),
    SandboxRejectedScore.find({ courseId: cid }).sort({ receivedAt: -1 }).limit(100).lean(),
    SandboxPlacement.find({ courseId: cid }).lean(),
  ]);
  const linkTitle = new Map(placements.map((p) => [p.resourceLinkId, p.title]));
  const latest = new Map<string, (typeof scores)[number]>();
  for (const s of scores) {
    const key = `${s.lineItemId.toHexString()}:${s.userId}`;
    if (!latest.has(key)) latest.set(key, s);
  }
  const gradeByKey = new Map(grades.map((g) => [g.key, g]));
  const nameBySub = new Map(people.map((p) => [p.sub, p.name]));
  const itemLabel = new Map(lineItems.map((li) => [li._id.toHexString(), li.label]));

  const columns = lineItems.map((li) => ({
    label: li.label,
    scoreMaximum: fmt(li.scoreMaximum),
    resourceLink: li.resourceLinkId ? (linkTitle.get(li.resourceLinkId) ?? li.resourceLinkId) : null,
    tag: li.tag,
  }));
  const rows = people
    .filter((p) => isLearner(p.roles))
    .map((p) => ({
      name: p.name,
      sub: p.sub,
      isTestUser: isTestUser(p.roles),
      cells: lineItems.map((li) => {
        const key = `${li._id.toHexString()}:${p.sub}`;
        const s = latest.get(key);
        const g = gradeByKey.get(key);
        return {
          hasScore: Boolean(s),
          grade: g && g.scoreGiven !== null ? `${fmt(g.scoreGiven)} / ${fmt(g.scoreMaximum)}` : null,
          latest: s ? `${fmt(s.scoreGiven)} / ${fmt(s.scoreMaximum)}` : null,
          progress: s ? `${s.activityProgress}, ${s.gradingProgress}` : null,
          comment: s?.comment ?? null,
          timestamp: s?.timestampText ?? null,
          gradebookNote: s ? effectNote(s) : null,
        };
      }),
    }));
  return {
    course,
    scoring: { mode, label: SCORING_RULES[mode].label, summary: SCORING_RULES[mode].summary },
    columns,
    rows,
    hasColumns: columns.length > 0,
    rejected: rejected.map((r) => ({
      receivedAt: r.receivedAt.toISOString(),
      lineItem: itemLabel.get(r.lineItemId.toHexString()) ?? r.lineItemId.toHexString(),
      user: r.userId ? (nameBySub.get(r.userId) ?? r.userId) : '(none)',
      status: r.status,
      reason: r.reason,
      body: r.bodyExcerpt,
    })),
    hasRejected: rejected.length > 0,
  };
}
