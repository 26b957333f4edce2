/**
 * The practicum page's charts — hours per week against the pace needed, hours by category and by
 * standard — built from what the page already loaded (entries, the effective rule pack, the term):
 * no database access. Numbers follow computeProgress, so the bars add up to the progress totals.
 */
import { horizontalBarChart, verticalBarChart, CHARTS_STYLESHEET } from '../platform/charts';
import frameworks from './standards-frameworks.json';
import type { PracticumEntry } from './practicum-entry.model';
import { toProgressEntry } from './progress-store';
import { computeProgress, type Term } from './progress.service';
import { ACTIVITY_CATEGORIES, type RulePack } from './rule-packs';

export type ChartEntry = Pick<PracticumEntry, 'status' | 'minutes' | 'category' | 'site' | 'date' | 'standards'> & { _id: PracticumEntry['_id'] };

export interface PracticumChartsInput {
  /** One candidate's entries, as the page loaded them (any order). */
  entries: ChartEntry[];
  /** effectiveRules(settings): the pack with the activity's edits. */
  rules: RulePack;
  term: Term;
  /** YYYY-MM-DD, as the page passes computeProgress. */
  today: string;
  /** Prefix of the chart ids (two candidates' charts on one page stay distinct). */
  idPrefix?: string;
}

const SERIES = [{ name: 'Counted' }, { name: 'Waiting for review' }];
const DAY = 86_400_000;
/** Beyond this many weeks (a two-year span) the weekly chart shows the latest weeks only. */
const MAX_WEEKS = 104;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;
const dayNumber = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
/** Weeks start on Monday (day 0 of the epoch was a Thursday). */
const weekStart = (day: number) => day - ((day + 3) % 7);
const isoOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const shortDate = (day: number) => {
  const d = new Date(day * DAY);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
};

type Frameworks = Record<string, { standards: { id: string; title: string; components?: string[] }[] }>;

/** Standards by name, as candidates tagged them: top-level standards always, components when used. */
function standardNames(frameworkId: string): { id: string; name: string; isComponent: boolean; standardId: string }[] {
  const fw = (frameworks as Frameworks)[frameworkId];
  if (!fw) return [];
  return fw.standards.flatMap((s) => [
    { id: s.id, name: s.title, isComponent: false, standardId: s.id },
    ...(s.components ?? []).map((c) => {
      const [id, ...rest] = c.split(' ');
      return { id, name: rest.length ? `${s.title}: ${rest.join(' ')}` : `${s.title} (${id})`, isComponent: true, standardId: s.id };
    }),
  ]);
}

/** The charts model for views/partials/practicum/charts.hbs; `isEmpty` when nothing is submitted yet. */
export function presentPracticumCharts(input: PracticumChartsInput) {
  const { rules, term, today } = input;
  const prefix = input.idPrefix ?? 'practicum';
  const summary = computeProgress(input.entries.map(toProgressEntry), rules, term, today);
  const reasons = new Map(summary.notCounted.map((n) => [n.entryId, n.reasons]));
  // Counted: what progress counts. Waiting: submitted or verified and would count once approved.
  const kindOf = (e: ChartEntry): 0 | 1 | null => {
    const why = reasons.get(String(e._id));
    if (!why) return 0;
    return why.length > 0 && why.every((r) => r.code === 'awaiting-mentor' || r.code === 'awaiting-faculty') ? 1 : null;
  };
  const shown = input.entries.map((e) => ({ e, kind: kindOf(e) })).filter((x): x is { e: ChartEntry; kind: 0 | 1 } => x.kind !== null && (x.e.minutes ?? 0) > 0);
  const base = { stylesheet: CHARTS_STYLESHEET, countedHours: summary.countedHours };
  if (shown.length === 0) {
    const text = input.entries.length === 0 ? 'No hours logged yet. The charts appear here once hours are submitted.' : 'No submitted hours yet. Drafts and returned entries are not charted until they are submitted.';
    return { ...base, isEmpty: true as const, emptyText: text, weekly: null, categories: null, standards: null };
  }
  return { ...base, isEmpty: false as const, emptyText: '', weekly: weeklyChart(shown, rules, term, prefix), categories: categoryChart(shown, rules, prefix), standards: standardChart(shown, rules, prefix) };
}

type Shown = { e: ChartEntry; kind: 0 | 1 }[];

function weeklyChart(shown: Shown, rules: RulePack, term: Term, prefix: string) {
  const dated = shown.filter((x) => x.e.date).map((x) => ({ ...x, week: weekStart(dayNumber(x.e.date!)) }));
  const hasTerm = Boolean(term.start && term.end);
  const weeks = dated.map((d) => d.week);
  let first = hasTerm ? weekStart(dayNumber(term.start!)) : Math.min(...weeks);
  const last = hasTerm ? weekStart(dayNumber(term.end!)) : Math.max(...weeks);
  if ((last - first) / 7 + 1 > MAX_WEEKS) first = last - (MAX_WEEKS - 1) * 7;
  const bars: { label: string; values: number[] }[] = [];
  const byWeek = new Map<number, number[]>();
  for (const d of dated) {
    const v = byWeek.get(d.week) ?? [0, 0];
    v[d.kind] += d.e.minutes ?? 0;
    byWeek.set(d.week, v);
  }
  for (let w = first; w <= last; w += 7) bars.push({ label: shortDate(w), values: (byWeek.get(w) ?? [0, 0]).map(hours) });

  let reference: { name: string; values: number[] } | null = null;
  let paceText = 'No term dates are set, so no weekly pace is drawn.';
  if (hasTerm && rules.requiredHours > 0) {
    const termWeeks = Math.max(1, (dayNumber(term.end!) - dayNumber(term.start!) + 1) / 7);
    const perWeek = Math.round((rules.requiredHours / termWeeks) * 10) / 10;
    reference = { name: `Pace needed (${perWeek} h a week)`, values: bars.map(() => perWeek) };
    paceText = `${rules.requiredHours} hours over the term (${term.start} to ${term.end}) is about ${perWeek} hours a week.`;
  } else if (rules.weeklyHours) {
    reference = { name: `Expected (${rules.weeklyHours.min} h a week)`, values: bars.map(() => rules.weeklyHours!.min) };
    paceText = `The program expects at least ${rules.weeklyHours.min} hours a week.`;
  }
  const total = (i: number) => bars[i].values[0] + bars[i].values[1];
  const busiest = bars.reduce((best, _b, i) => (total(i) > total(best) ? i : best), 0);
  const undated = shown.length - dated.length;
  return verticalBarChart({
    id: `${prefix}-weekly`,
    title: 'Hours per week',
    summary: `${bars.length} week${bars.length === 1 ? '' : 's'} from the week of ${isoOf(first)}; the most in one week was ${Math.round(total(busiest) * 100) / 100} hours (week of ${bars[busiest].label}). ${paceText}${undated ? ` ${undated} entr${undated === 1 ? 'y has' : 'ies have'} no date and ${undated === 1 ? 'is' : 'are'} not shown.` : ''}`,
    unit: 'h',
    series: SERIES,
    categoryHeader: 'Week of',
    bars,
    reference,
  });
}

function categoryChart(shown: Shown, rules: RulePack, prefix: string) {
  const minimums = new Map<string, number>(rules.categoryMinimums.map((c) => [c.category, c.minimumHours]));
  const totals = new Map<string, number[]>();
  for (const { e, kind } of shown) {
    const key = e.category ?? '';
    const v = totals.get(key) ?? [0, 0];
    v[kind] += e.minutes ?? 0;
    totals.set(key, v);
  }
  const names = ACTIVITY_CATEGORIES as Record<string, string>;
  const ids = [...Object.keys(names).filter((c) => totals.has(c) || minimums.has(c)), ...(totals.has('') ? [''] : [])];
  return horizontalBarChart({
    id: `${prefix}-categories`,
    title: 'Hours by category',
    summary: `Counted and waiting hours in ${ids.length} categor${ids.length === 1 ? 'y' : 'ies'}${minimums.size ? '; the marks show each required minimum' : ''}.`,
    unit: 'h',
    series: SERIES,
    categoryHeader: 'Category',
    targetName: 'Required minimum',
    rows: ids.map((c) => ({ label: c ? (names[c] ?? c) : 'No category', values: (totals.get(c) ?? [0, 0]).map(hours), target: minimums.get(c) ?? null })),
  });
}

function standardChart(shown: Shown, rules: RulePack, prefix: string) {
  const names = standardNames(rules.frameworkId);
  const standardOf = new Map(names.filter((n) => n.isComponent).map((n) => [n.id, n.standardId]));
  const totals = new Map<string, number[]>();
  for (const { e, kind } of shown) {
    // An entry tagged with a component (6.1) counts toward its standard (6) too, once: otherwise the
    // standard's bar would read 0 h right above its own component's hours.
    const tags = e.standards ?? [];
    for (const s of new Set([...tags, ...tags.flatMap((t) => (standardOf.has(t) ? [standardOf.get(t) as string] : []))])) {
      const v = totals.get(s) ?? [0, 0];
      v[kind] += e.minutes ?? 0;
      totals.set(s, v);
    }
  }
  const known = names.filter((s) => !s.isComponent || totals.has(s.id));
  const knownIds = new Set(known.map((s) => s.id));
  // A tag the framework no longer lists (framework changed after logging) still shows, by its code.
  const unknown = [...totals.keys()].filter((id) => !knownIds.has(id)).sort();
  const rows = [...known.map((s) => ({ id: s.id, name: s.name })), ...unknown.map((id) => ({ id, name: `Standard ${id}` }))];
  return horizontalBarChart({
    id: `${prefix}-standards`,
    title: 'Hours by standard',
    summary: `Hours of the entries tagged with each standard (a standard includes its components' entries). An entry tagged with several standards counts toward each of them, so these add up to more than the total. ${rows.filter((r) => totals.has(r.id)).length} of ${rows.length} standards have hours.`,
    unit: 'h',
    series: SERIES,
    categoryHeader: 'Standard',
    rows: rows.map((r) => ({ label: r.name, values: (totals.get(r.id) ?? [0, 0]).map(hours) })),
  });
}

export type PracticumCharts = ReturnType<typeof presentPracticumCharts>;
