/**
 * Faculty's page for one candidate: progress against the rule pack, hours by category / setting /
 * standard, every entry, the mentor and their link, and the candidate's grade-sync line.
 * The caller is authorized before anything is read (faculty of this course only).
 */
import type { Activity } from '../activities/activity.model';
import type { Caller } from '../lti/caller';
import { listCourseMembers } from '../courses/course-membership.service';
import { presentGradeSyncRow } from '../grading/grade-sync.presenter';
import { getGradeSync } from '../grading/outbox.service';
import { forbidden, notFound } from '../platform/errors';
import { withTransientRetry } from '../platform/transient';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { listMentorAssignments } from './practicum-mentors.service';
import { PracticumProgressModel } from './practicum-progress.model';
import { effectiveRules, frameworkElements, readSettings, termOf } from './practicum-settings';
import { entryScope, viewFor } from './practicum.policy';
import { presentEntry, presentProgress } from './practicum.presenter';
import { progressId, toProgressEntry } from './progress-store';
import { computeProgress } from './progress.service';
import { presentPracticumCharts } from './practicum-charts.presenter';
import { ACTIVITY_CATEGORIES, GRADE_BANDS } from './rule-packs';

/** Names a framework's standards by id; a component without a name of its own ("6.1") gets its standard's. */
export function standardNamer(frameworkId: string): (id: string) => string {
  const standardNames = new Map(frameworkElements(frameworkId).map((s) => [s.id, s.label]));
  return (id: string) => {
    const own = standardNames.get(id);
    if (own && own !== id) return own;
    const parent = standardNames.get(id.split('.')[0]);
    return parent ? `${id} (part of ${parent})` : id;
  };
}

const round = (minutes: number) => Math.round((minutes / 60) * 100) / 100;
const PENDING = new Set(['submitted', 'verified']);

/** Hours per key (category, level, standard), approved and awaiting review, labelled by name. */
function hoursBy(entries: PracticumEntry[], keysOf: (e: PracticumEntry) => string[], labelOf: (key: string) => string) {
  const rows = new Map<string, { approved: number; pending: number; drafts: number }>();
  for (const e of entries) {
    for (const key of keysOf(e)) {
      const row = rows.get(key) ?? { approved: 0, pending: 0, drafts: 0 };
      if (e.status === 'approved') row.approved += e.minutes ?? 0;
      else if (PENDING.has(e.status)) row.pending += e.minutes ?? 0;
      else row.drafts += e.minutes ?? 0;
      rows.set(key, row);
    }
  }
  return [...rows.entries()]
    .map(([key, r]) => ({ key, label: labelOf(key), approved: round(r.approved), pending: round(r.pending), drafts: round(r.drafts) }))
    .sort((a, b) => b.approved - a.approved || b.pending - a.pending || a.label.localeCompare(b.label));
}

/** Throws 403 unless the caller teaches this course, 404 unless `candidateSub` is one of its candidates. */
export async function buildCandidatePage(caller: Caller, activity: Activity, candidateSub: string, today: string) {
  if (viewFor(caller, activity) !== 'faculty') throw forbidden('practicum_candidate_page_forbidden', 'Only faculty of this course can open a candidate’s page.');
  const [progress, [assignment]] = await Promise.all([
    withTransientRetry(() => PracticumProgressModel.findOne({ _id: progressId(activity._id, candidateSub) }, { candidateName: 1 }).lean()),
    // The view (name, email, link status) — findMentorAssignment answers the raw record.
    listMentorAssignments(activity, [candidateSub]),
  ]);
  const member = progress ? null : (await listCourseMembers(activity, 'candidate')).find((m) => m.sub === candidateSub);
  const name = progress?.candidateName || member?.name || assignment?.candidateName;
  if (!progress && !member && !assignment) throw notFound('practicum_candidate_not_found', 'That person is not a candidate of this course.');

  const entries = await PracticumEntryModel.find({ ...entryScope(caller, activity), candidateSub }).sort({ date: -1, createdAt: -1 }).limit(500).lean();
  const settings = readSettings(activity.settings);
  const rules = effectiveRules(settings);
  const summary = computeProgress(entries.map(toProgressEntry), rules, termOf(settings), today);
  const standardName = standardNamer(settings.frameworkId);
  const sync = await getGradeSync(String(activity._id), candidateSub);
  return {
    candidate: { sub: candidateSub, name: name || 'Unnamed candidate', param: encodeURIComponent(candidateSub) },
    progressTitle: 'Progress against the requirements',
    progress: presentProgress(summary, rules, new Map(entries.map((e) => [String(e._id), e.date ?? '']))),
    byCategory: hoursBy(entries, (e) => (e.category ? [e.category] : []), (k) => (ACTIVITY_CATEGORIES as Record<string, string>)[k] ?? k),
    bySetting: hoursBy(entries, (e) => (e.site?.gradeBand ? [e.site.gradeBand] : []), (k) => (GRADE_BANDS as Record<string, string>)[k] ?? k),
    byStandard: hoursBy(entries, (e) => e.standards ?? [], standardName),
    entries: entries.map((e) => presentEntry(e, 'faculty')),
    mentor: assignment ?? null,
    gradeSync: sync ? presentGradeSyncRow(sync) : null,
    entryCount: entries.length,
    charts: presentPracticumCharts({ entries, rules, term: termOf(settings), today, idPrefix: 'candidate' }),
  };
}
