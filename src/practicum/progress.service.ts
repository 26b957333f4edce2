/**
 * Pure progress computation for one candidate: entries + the activity's rules → totals, per-category
 * and per-setting status, pace against the term, and the reasons an hour does not count yet.
 * No database access: the service loads the entries, the dashboards use the progress documents.
 */
import { ACTIVITY_CATEGORIES, GRADE_BANDS, POPULATIONS, type RulePack } from './rule-packs';
import type { EntryStatus } from './practicum-entry.model';

export interface ProgressEntry {
  id: string;
  status: EntryStatus;
  date: string | null;
  minutes: number;
  category: string | null;
  site: { name: string; district: string; gradeBand: string | null; populations: string[] };
}

export interface Term {
  start: string | null;
  end: string | null;
}

export type ReasonCode = 'not-submitted' | 'awaiting-mentor' | 'awaiting-faculty' | 'returned' | 'excluded-category' | 'outside-term' | 'summer-only' | 'no-date';

export interface Reason {
  code: ReasonCode;
  message: string;
}

export interface NotCounted {
  entryId: string;
  date: string | null;
  hours: number;
  reasons: Reason[];
}

export interface Requirement {
  id: string;
  label: string;
  counted: number;
  required: number;
  isMet: boolean;
  /** 0..1, used for the completion grade. */
  fraction: number;
}

export type PaceStatus = 'no-term' | 'not-started' | 'behind' | 'on-track' | 'ahead' | 'ended';

export interface Pace {
  status: PaceStatus;
  expectedHours: number;
  /** Counted + awaiting approval: what will count if approved. */
  projectedHours: number;
  weeklyHoursNeeded: number | null;
}

export interface ProgressSummary {
  hoursByStatus: Record<EntryStatus, number>;
  countedHours: number;
  requiredHours: number;
  hours: Requirement;
  categories: Requirement[];
  settings: Requirement[];
  weeks: Requirement | null;
  summer: Requirement | null;
  pace: Pace;
  notCounted: NotCounted[];
  reasonTotals: { code: ReasonCode; message: string; hours: number }[];
  isComplete: boolean;
  /** Mean of requirement fractions: 1 only when every requirement is met. */
  completion: number;
}

const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;
const label = (map: Record<string, string>, id: string) => map[id] ?? id;

/** June, July and August (northern-hemisphere school year, as the Texas rule assumes). */
export function isSummer(date: string): boolean {
  const month = Number(date.slice(5, 7));
  return month >= 6 && month <= 8;
}

function statusReason(status: EntryStatus, rules: RulePack): Reason | null {
  switch (status) {
    case 'approved':
      return null;
    case 'draft':
      return { code: 'not-submitted', message: 'Saved as a draft, not submitted for review yet.' };
    case 'returned':
      return { code: 'returned', message: 'Returned for changes; it counts once it is submitted again and approved.' };
    case 'submitted':
      return rules.requiresMentorVerification
        ? { code: 'awaiting-mentor', message: 'Waiting for the mentor to verify it.' }
        : { code: 'awaiting-faculty', message: 'Waiting for faculty approval.' };
    case 'verified':
      return { code: 'awaiting-faculty', message: 'Verified by the mentor; waiting for faculty approval.' };
  }
}

/** Why one entry does not count (empty when it counts), before the cohort-level summer rule. */
export function entryReasons(entry: ProgressEntry, rules: RulePack, term: Term): Reason[] {
  const reasons: Reason[] = [];
  const status = statusReason(entry.status, rules);
  if (status) reasons.push(status);
  if (entry.category && rules.excludedCategories.includes(entry.category as never)) {
    reasons.push({ code: 'excluded-category', message: `${label(ACTIVITY_CATEGORIES, entry.category)} does not count toward the internship (${rules.name}).` });
  }
  if (!entry.date) reasons.push({ code: 'no-date', message: 'The entry has no date.' });
  else if ((term.start && entry.date < term.start) || (term.end && entry.date > term.end)) {
    reasons.push({ code: 'outside-term', message: `Dated ${entry.date}, outside the term (${term.start ?? '…'} to ${term.end ?? '…'}).` });
  }
  return reasons;
}

function requirement(id: string, text: string, countedMinutes: number, requiredHours: number): Requirement {
  const counted = hours(countedMinutes);
  const fraction = requiredHours > 0 ? Math.min(1, counted / requiredHours) : 1;
  return { id, label: text, counted, required: requiredHours, isMet: counted >= requiredHours, fraction };
}

function presence(id: string, text: string, countedMinutes: number): Requirement {
  const isMet = countedMinutes > 0;
  return { id, label: text, counted: hours(countedMinutes), required: 0, isMet, fraction: isMet ? 1 : 0 };
}

const daysBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

function paceOf(rules: RulePack, term: Term, today: string, countedMinutes: number, pendingMinutes: number): Pace {
  const projectedHours = hours(countedMinutes + pendingMinutes);
  if (!term.start || !term.end) return { status: 'no-term', expectedHours: 0, projectedHours, weeklyHoursNeeded: null };
  const total = Math.max(1, daysBetween(term.start, term.end));
  const elapsed = Math.min(total, Math.max(0, daysBetween(term.start, today)));
  const expectedHours = Math.round(rules.requiredHours * (elapsed / total) * 10) / 10;
  const remainingWeeks = (total - elapsed) / 7;
  const remainingHours = Math.max(0, rules.requiredHours - projectedHours);
  const weeklyHoursNeeded = remainingWeeks > 0 ? Math.round((remainingHours / remainingWeeks) * 10) / 10 : null;
  let status: PaceStatus;
  if (today < term.start) status = 'not-started';
  else if (today > term.end) status = 'ended';
  // A week's worth of slack (or 5 %) before calling someone behind.
  else if (projectedHours + Math.max(rules.requiredHours * 0.05, rules.weeklyHours?.min ?? 0) < expectedHours) status = 'behind';
  else if (projectedHours > expectedHours * 1.2 + 1) status = 'ahead';
  else status = 'on-track';
  return { status, expectedHours, projectedHours, weeklyHoursNeeded };
}

/** Progress of one candidate; `today` is YYYY-MM-DD (injected so tests are deterministic). */
export function computeProgress(entries: ProgressEntry[], rules: RulePack, term: Term, today: string): ProgressSummary {
  const hoursByStatus: Record<EntryStatus, number> = { draft: 0, submitted: 0, verified: 0, approved: 0, returned: 0 };
  const reasonsById = new Map<string, Reason[]>();
  for (const e of entries) {
    hoursByStatus[e.status] += e.minutes;
    reasonsById.set(e.id, entryReasons(e, rules, term));
  }
  const eligible = (e: ProgressEntry) => (reasonsById.get(e.id) ?? []).every((r) => r.code === 'awaiting-mentor' || r.code === 'awaiting-faculty');
  let counted = entries.filter((e) => reasonsById.get(e.id)?.length === 0);

  let summer: Requirement | null = null;
  if (rules.notOnlyInSummer) {
    const hasNonSummer = counted.some((e) => e.date && !isSummer(e.date));
    summer = { id: 'not-only-summer', label: 'Not exclusively in summer', counted: 0, required: 0, isMet: hasNonSummer, fraction: hasNonSummer ? 1 : 0 };
    if (!hasNonSummer) {
      for (const e of counted) reasonsById.get(e.id)?.push({ code: 'summer-only', message: 'Summer hours count once some of the practicum takes place outside June–August.' });
      counted = [];
    }
  }

  const sum = (list: ProgressEntry[]) => list.reduce((s, e) => s + e.minutes, 0);
  const countedMinutes = sum(counted);
  const pendingMinutes = sum(entries.filter((e) => (e.status === 'submitted' || e.status === 'verified') && eligible(e)));

  const categories = rules.categoryMinimums.map((c) => requirement(`category:${c.category}`, label(ACTIVITY_CATEGORIES, c.category), sum(counted.filter((e) => e.category === c.category)), c.minimumHours));
  const settings: Requirement[] = [];
  const req = rules.requiredSettings;
  if (req.minDistinctSites > 0) {
    const sites = new Set(counted.filter((e) => e.site.name.trim()).map((e) => `${e.site.name.trim().toLowerCase()}|${e.site.district.trim().toLowerCase()}`));
    const fraction = Math.min(1, sites.size / req.minDistinctSites);
    settings.push({ id: 'distinct-sites', label: 'Distinct sites', counted: sites.size, required: req.minDistinctSites, isMet: sites.size >= req.minDistinctSites, fraction });
  }
  for (const b of req.gradeBands) settings.push(presence(`band:${b}`, label(GRADE_BANDS, b), sum(counted.filter((e) => e.site.gradeBand === b))));
  for (const p of req.populations) settings.push(presence(`population:${p}`, label(POPULATIONS, p), sum(counted.filter((e) => e.site.populations.includes(p)))));

  let weeks: Requirement | null = null;
  if (rules.minWeeks > 0) {
    const dates = counted.map((e) => e.date!).sort();
    const span = dates.length ? Math.floor(daysBetween(dates[0], dates[dates.length - 1]) / 7) : 0;
    weeks = { id: 'weeks', label: 'Weeks between first and last counted entry', counted: span, required: rules.minWeeks, isMet: span >= rules.minWeeks, fraction: Math.min(1, span / rules.minWeeks) };
  }

  const hoursReq = requirement('hours', 'Total hours', countedMinutes, rules.requiredHours);
  const all = [hoursReq, ...categories, ...settings, ...(weeks ? [weeks] : []), ...(summer ? [summer] : [])];
  const notCounted: NotCounted[] = entries
    .filter((e) => (reasonsById.get(e.id) ?? []).length > 0)
    .map((e) => ({ entryId: e.id, date: e.date, hours: hours(e.minutes), reasons: reasonsById.get(e.id)! }));
  const totals = new Map<ReasonCode, { code: ReasonCode; message: string; hours: number }>();
  for (const n of notCounted) {
    for (const r of n.reasons) {
      const t = totals.get(r.code) ?? { code: r.code, message: r.message, hours: 0 };
      t.hours = Math.round((t.hours + n.hours) * 100) / 100;
      totals.set(r.code, t);
    }
  }
  const hasAnyRequirement = rules.requiredHours > 0 || all.length > 1;
  const completion = hasAnyRequirement ? all.reduce((s, r) => s + r.fraction, 0) / all.length : countedMinutes > 0 ? 1 : 0;
  return {
    hoursByStatus: Object.fromEntries(Object.entries(hoursByStatus).map(([k, v]) => [k, hours(v)])) as Record<EntryStatus, number>,
    countedHours: hours(countedMinutes),
    requiredHours: rules.requiredHours,
    hours: hoursReq,
    categories,
    settings,
    weeks,
    summer,
    pace: paceOf(rules, term, today, countedMinutes, pendingMinutes),
    notCounted,
    reasonTotals: [...totals.values()],
    isComplete: all.every((r) => r.isMet) && (hasAnyRequirement || countedMinutes > 0),
    completion: Math.round(completion * 10_000) / 10_000,
  };
}
