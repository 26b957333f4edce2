/**
 * What the practicum exports show: every entry a reader may see with its review record (who
 * verified and approved it, when), and one candidate's hour log against the rule pack — the
 * document licensure applications ask for. No req/res here; the CSV, HTML and PDF renderers all
 * read these models.
 *
 * Exports are read on demand, not on a hot path: the entry and audit queries filter by activity
 * and candidate (a scan on the embedded database, an index on MongoDB).
 */
import type { Activity } from '../activities/activity.model';
import { listCourseMembers } from '../courses/course-membership.service';
import type { Caller } from '../lti/caller';
import { notFound } from '../platform/errors';
import { formatInZone, type DisplayZone } from '../platform/time-zone';
import { withTransientRetry } from '../platform/transient';
import { PracticumAuditModel, type PracticumAudit } from './practicum-audit.model';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { findMentorAssignment } from './practicum-mentors.service';
import { PracticumProgressModel } from './practicum-progress.model';
import { effectiveRules, frameworkElements, frameworkTitle, readSettings } from './practicum-settings';
import { entryScope, externalEntryScope, viewFor, type PracticumActor } from './practicum.policy';
import { STATUS_LABELS } from './practicum.presenter';
import { progressId, toProgressEntry } from './progress-store';
import { computeProgress, type ProgressSummary, type Requirement } from './progress.service';
import { ACTIVITY_CATEGORIES, GRADE_BANDS, packLabel, POPULATIONS } from './rule-packs';

const MAX_ENTRIES = 20_000;
const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;
const labelOf = (map: Record<string, string>, id: string | null | undefined) => (id ? (map[id] ?? id) : '');

/** One entry as every export shows it; times already formatted in the reader's zone. */
export interface LogEntryRow {
  id: string;
  candidateSub: string;
  candidateName: string;
  date: string;
  minutes: number;
  hours: number;
  site: string;
  district: string;
  level: string;
  populations: string;
  category: string;
  standardCodes: string[];
  standardNames: string[];
  description: string;
  reflection: string;
  status: string;
  statusLabel: string;
  submittedAt: string;
  verifiedBy: string;
  verifiedAt: string;
  approvedBy: string;
  approvedAt: string;
  returnedBy: string;
  returnedAt: string;
  returnedComment: string;
  counts: boolean;
  whyNotCounted: string;
}

interface Review {
  by: string;
  at: Date;
  comment: string;
}

/** "Name (email)" for people from an emailed link, "Name" for LMS users; never blank. */
function who(actor: PracticumAudit['actor']): string {
  const name = actor?.name || '';
  if (actor?.kind === 'external') return name ? `${name} (${actor.email ?? ''})` : (actor.email ?? 'Mentor (emailed link)');
  return name || actor?.email || actor?.sub || '';
}

/**
 * The verification and approval that stand for the entry as it is now: a return or a resubmission
 * starts a new review round, so an earlier round's verification is not shown for the new one.
 */
export function currentReview(trail: PracticumAudit[]): { verified: Review | null; approved: Review | null; returned: Review | null } {
  let verified: Review | null = null;
  let approved: Review | null = null;
  let returned: Review | null = null;
  for (const t of [...trail].sort((a, b) => a.version - b.version)) {
    const review = { by: who(t.actor), at: t.at, comment: t.comment ?? '' };
    if (t.to === 'submitted' || t.to === 'draft') [verified, approved] = [null, null];
    if (t.to === 'submitted') returned = null;
    if (t.to === 'verified') verified = review;
    if (t.to === 'approved') approved = review;
    if (t.to === 'returned') [verified, approved, returned] = [null, null, review];
  }
  return { verified, approved, returned };
}

function standardNames(frameworkId: string): Map<string, string> {
  return new Map(frameworkElements(frameworkId).map((s) => [s.id, s.label.slice(s.id.length).replace(/^\.?\s*/, '')]));
}

function toRow(e: PracticumEntry, trail: PracticumAudit[], summary: ProgressSummary, names: Map<string, string>, zone: DisplayZone): LogEntryRow {
  const review = currentReview(trail);
  const notCounted = summary.notCounted.find((n) => n.entryId === String(e._id));
  const codes = e.standards ?? [];
  return {
    id: String(e._id),
    candidateSub: e.candidateSub,
    candidateName: e.candidateName || e.candidateSub,
    date: e.date ?? '',
    minutes: e.minutes ?? 0,
    hours: hours(e.minutes ?? 0),
    site: e.site?.name ?? '',
    district: e.site?.district ?? '',
    level: labelOf(GRADE_BANDS, e.site?.gradeBand),
    populations: (e.site?.populations ?? []).map((p) => labelOf(POPULATIONS, p)).join('; '),
    category: labelOf(ACTIVITY_CATEGORIES, e.category),
    standardCodes: codes,
    standardNames: codes.map((c) => names.get(c) ?? ''),
    description: e.description ?? '',
    reflection: e.reflection ?? '',
    status: e.status,
    statusLabel: STATUS_LABELS[e.status]?.label ?? e.status,
    submittedAt: formatInZone(e.submittedAt, zone.zone),
    verifiedBy: review.verified?.by ?? '',
    verifiedAt: formatInZone(review.verified?.at, zone.zone),
    approvedBy: review.approved?.by ?? '',
    approvedAt: formatInZone(review.approved?.at, zone.zone),
    returnedBy: e.status === 'returned' ? (review.returned?.by ?? e.returned?.by ?? '') : '',
    returnedAt: e.status === 'returned' ? formatInZone(review.returned?.at ?? e.returned?.at, zone.zone) : '',
    returnedComment: e.status === 'returned' ? (review.returned?.comment ?? e.returned?.comment ?? '') : '',
    counts: !notCounted,
    whyNotCounted: notCounted ? notCounted.reasons.map((r) => r.message).join(' ') : '',
  };
}

function summarize(activity: Activity, entries: PracticumEntry[], today: string): ProgressSummary {
  const settings = readSettings(activity.settings);
  return computeProgress(entries.map(toProgressEntry), effectiveRules(settings), { start: settings.termStart, end: settings.termEnd }, today);
}

async function trailsOf(filter: Record<string, unknown>): Promise<Map<string, PracticumAudit[]>> {
  const audits = (await withTransientRetry(() => PracticumAuditModel.find(filter).lean())) as PracticumAudit[];
  const byEntry = new Map<string, PracticumAudit[]>();
  for (const a of audits) byEntry.set(String(a.entryId), [...(byEntry.get(String(a.entryId)) ?? []), a]);
  return byEntry;
}

/** Rows of every entry the caller may see in this activity (candidate: own; faculty, coordinator: all; mentor: mentees'). */
export async function exportRows(caller: Caller, activity: Activity, zone: DisplayZone, today: string): Promise<LogEntryRow[]> {
  const scope = entryScope(caller, activity);
  const entries = (await withTransientRetry(() => PracticumEntryModel.find(scope).sort({ candidateName: 1, date: 1, createdAt: 1 }).limit(MAX_ENTRIES).lean())) as PracticumEntry[];
  const trails = await trailsOf({ activityId: activity._id, ...(scope.candidateSub ? { candidateSub: scope.candidateSub } : {}) });
  const names = standardNames(readSettings(activity.settings).frameworkId);
  const byCandidate = new Map<string, PracticumEntry[]>();
  for (const e of entries) byCandidate.set(e.candidateSub, [...(byCandidate.get(e.candidateSub) ?? []), e]);
  const rows: LogEntryRow[] = [];
  for (const list of byCandidate.values()) {
    const summary = summarize(activity, list, today);
    for (const e of list) rows.push(toRow(e, trails.get(String(e._id)) ?? [], summary, names, zone));
  }
  return rows.sort((a, b) => a.candidateName.localeCompare(b.candidateName) || a.date.localeCompare(b.date));
}

export interface HourLogRequirement {
  label: string;
  text: string;
  isMet: boolean;
}

export interface ReviewerSummary {
  who: string;
  entries: number;
  hours: number;
  first: string;
  last: string;
}

export interface HourLog {
  courseTitle: string;
  activityTitle: string;
  candidateName: string;
  term: string;
  packName: string;
  packLabel: string;
  packNotes: string[];
  framework: string;
  zone: DisplayZone;
  generatedAt: string;
  entries: LogEntryRow[];
  countedHours: number;
  requiredHours: number;
  loggedHours: number;
  isComplete: boolean;
  requirements: HourLogRequirement[];
  categories: { label: string; counted: number; logged: number; minimum: number | null; isMet: boolean | null; isExcluded: boolean }[];
  byStatus: { label: string; hours: number }[];
  notCounted: { date: string; hours: number; reasons: string }[];
  reasonTotals: { message: string; hours: number }[];
  mentor: { assigned: string; verifiers: ReviewerSummary[] };
  faculty: { approvers: ReviewerSummary[] };
}

function requirementText(r: Requirement): string {
  if (r.id === 'distinct-sites') return `${r.counted} of ${r.required} sites`;
  if (r.id === 'weeks') return `${r.counted} of ${r.required} weeks`;
  if (r.id === 'not-only-summer') return r.isMet ? 'Met' : 'Not yet: some hours must be outside June–August';
  if (r.id.startsWith('band:') || r.id.startsWith('population:')) return r.isMet ? `${r.counted} h counted` : 'Not yet covered';
  return `${r.counted} h of ${r.required} h`;
}

function reviewers(rows: LogEntryRow[], pick: (r: LogEntryRow) => { by: string; at: string }): ReviewerSummary[] {
  const out = new Map<string, ReviewerSummary>();
  for (const row of rows) {
    const { by, at } = pick(row);
    if (!by) continue;
    const s = out.get(by) ?? { who: by, entries: 0, hours: 0, first: at, last: at };
    s.entries += 1;
    s.hours = Math.round((s.hours + row.hours) * 100) / 100;
    if (at && (!s.first || at < s.first)) s.first = at;
    if (at > s.last) s.last = at;
    out.set(by, s);
  }
  return [...out.values()];
}

/** The candidate's name as this course knows it: entries, progress document, roster, in that order. */
async function candidateNameOf(activity: Activity, candidateSub: string, entries: PracticumEntry[]): Promise<string | null> {
  const fromEntry = entries.find((e) => e.candidateName)?.candidateName;
  if (fromEntry) return fromEntry;
  const progress = await withTransientRetry(() => PracticumProgressModel.findOne({ _id: progressId(activity._id, candidateSub) }, { candidateName: 1 }).lean());
  if (progress) return (progress as { candidateName?: string }).candidateName || candidateSub;
  const member = (await listCourseMembers(activity, 'candidate')).find((m) => m.sub === candidateSub);
  if (member) return member.name || candidateSub;
  return entries.length ? candidateSub : null;
}

/**
 * One candidate's hour log as `reader` may see it (the policy has already allowed the candidate).
 * A candidate unknown to the course is 404; the candidate's own empty log is a log with no entries.
 */
export async function buildHourLog(reader: PracticumActor, activity: Activity, candidateSub: string, zone: DisplayZone, now: Date): Promise<HourLog> {
  const scope = reader.kind === 'external' ? externalEntryScope(reader, activity) : entryScope(reader.caller, activity);
  const entries = (await withTransientRetry(() => PracticumEntryModel.find({ ...scope, candidateSub }).sort({ date: 1, createdAt: 1 }).limit(MAX_ENTRIES).lean())) as PracticumEntry[];
  const isOwn = reader.kind === 'lti' && viewFor(reader.caller, activity) === 'candidate';
  const name = (await candidateNameOf(activity, candidateSub, entries)) ?? (isOwn ? reader.caller.name || candidateSub : null);
  if (name === null) throw notFound('practicum_candidate_not_found', 'That person is not a candidate of this course.');

  const settings = readSettings(activity.settings);
  const rules = effectiveRules(settings);
  const today = now.toISOString().slice(0, 10);
  const summary = summarize(activity, entries, today);
  const trails = await trailsOf({ activityId: activity._id, candidateSub });
  const names = standardNames(settings.frameworkId);
  const rows = entries.map((e) => toRow(e, trails.get(String(e._id)) ?? [], summary, names, zone));

  const minimums = new Map(rules.categoryMinimums.map((c) => [c.category as string, c.minimumHours]));
  const categoryIds = [...new Set([...rules.categoryMinimums.map((c) => c.category as string), ...entries.map((e) => e.category).filter((c): c is string => Boolean(c))])];
  const sumOf = (list: LogEntryRow[]) => Math.round(list.reduce((s, r) => s + r.hours, 0) * 100) / 100;
  const categoryOf = new Map(entries.map((e) => [String(e._id), e.category]));
  const categories = categoryIds.map((id) => {
    const inCategory = rows.filter((r) => categoryOf.get(r.id) === id);
    const counted = sumOf(inCategory.filter((r) => r.counts));
    const minimum = minimums.get(id) ?? null;
    return { label: labelOf(ACTIVITY_CATEGORIES, id), counted, logged: sumOf(inCategory), minimum, isMet: minimum === null ? null : counted >= minimum, isExcluded: rules.excludedCategories.includes(id as never) };
  });
  const requirementList = [summary.hours, ...summary.categories, ...summary.settings, ...(summary.weeks ? [summary.weeks] : []), ...(summary.summer ? [summary.summer] : [])];
  const assignment = await findMentorAssignment(activity, candidateSub);

  return {
    courseTitle: activity.contextTitle || (reader.kind === 'lti' ? reader.caller.contextTitle : ''),
    activityTitle: activity.title,
    candidateName: name,
    term: settings.termStart || settings.termEnd ? `${settings.termStart ?? '…'} to ${settings.termEnd ?? '…'}` : 'Not set',
    packName: rules.name,
    packLabel: packLabel(rules),
    packNotes: rules.notes,
    framework: frameworkTitle(settings.frameworkId),
    zone,
    generatedAt: formatInZone(now, zone.zone),
    entries: rows,
    countedHours: summary.countedHours,
    requiredHours: rules.requiredHours,
    loggedHours: sumOf(rows),
    isComplete: summary.isComplete,
    requirements: requirementList.map((r) => ({ label: r.label, text: requirementText(r), isMet: r.isMet })),
    categories,
    byStatus: Object.entries(summary.hoursByStatus)
      .filter(([, h]) => h > 0)
      .map(([status, h]) => ({ label: STATUS_LABELS[status]?.label ?? status, hours: h })),
    notCounted: summary.notCounted.map((n) => ({ date: n.date ?? '—', hours: n.hours, reasons: n.reasons.map((r) => r.message).join(' ') })),
    reasonTotals: summary.reasonTotals.map((r) => ({ message: r.message, hours: r.hours })),
    mentor: {
      assigned: assignment ? `${assignment.mentor.name} (${assignment.mentor.email})` : '',
      verifiers: reviewers(rows, (r) => ({ by: r.verifiedBy, at: r.verifiedAt })),
    },
    faculty: { approvers: reviewers(rows, (r) => ({ by: r.approvedBy, at: r.approvedAt })) },
  };
}
