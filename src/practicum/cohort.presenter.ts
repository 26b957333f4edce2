/**
 * The faculty cohort table: one row per candidate of the roster (logged or not) from their progress
 * document, with pace from the same computation the candidate sees (progress.service.ts), sorted and
 * filtered on the server so it works without JavaScript.
 */
import { z } from 'zod';
import type { MentorAssignmentView } from './practicum-mentors.service';
import type { PracticumProgress } from './practicum-progress.model';
import { presentCohortRow } from './practicum.presenter';
import { itemsAsEntries, type ProgressItem } from './progress-store';
import { computeProgress, type PaceStatus, type Term } from './progress.service';
import type { RulePack } from './rule-packs';

export const COHORT_SORTS = ['name', 'hours', 'pending', 'pace'] as const;
export type CohortSort = (typeof COHORT_SORTS)[number];

/** ?sort= and ?q= of the practicum page; anything else falls back to the default order. */
export const cohortQuerySchema = z.object({
  sort: z.enum(COHORT_SORTS).catch('name').default('name'),
  q: z.string().trim().max(100).catch('').default(''),
});
export type CohortQuery = z.infer<typeof cohortQuerySchema>;

const SORT_LABELS: Record<CohortSort, string> = { name: 'Candidate', hours: 'Approved hours', pending: 'Awaiting review', pace: 'Pace' };
const PACE_ORDER: Record<PaceStatus, number> = { behind: 0, 'not-started': 1, 'on-track': 2, 'no-term': 3, ahead: 4, ended: 5 };

export interface CohortInput {
  progress: PracticumProgress[];
  rules: RulePack;
  term: Term;
  today: string;
  assignments: MentorAssignmentView[];
  query: CohortQuery;
  /** The practicum page's own URL with ltik and aid, for the sort links and the search form. */
  pageHref: string;
  /** Candidates' email addresses from the course roster, by sub (searched, never shown in the table). */
  emails?: ReadonlyMap<string, string>;
}

type Row = ReturnType<typeof presentCohortRow> & { pending: number; pace: PaceStatus; isBehind: boolean; mentor: string; mentorStatus: string };

export function presentCohortTable({ progress, rules, term, today, assignments, query, pageHref, emails }: CohortInput) {
  const mentorOf = new Map(assignments.map((a) => [a.candidateSub, a]));
  const all: Row[] = progress.map((p) => {
    const counts = (p.entries ?? {}) as Record<string, number>;
    const items = (p as { items?: Record<string, ProgressItem> | null }).items;
    // Pace exactly as the candidate's own page computes it, from the entries the document summarises.
    const pace = computeProgress(items ? itemsAsEntries(items) : [], rules, term, today).pace.status;
    const mentor = mentorOf.get(p.candidateSub);
    return {
      ...presentCohortRow(p, rules),
      pending: (counts.submitted ?? 0) + (counts.verified ?? 0),
      pace,
      isBehind: pace === 'behind',
      mentor: mentor ? mentor.name : '',
      mentorStatus: mentor ? mentor.statusLabel : 'No mentor named yet',
    };
  });
  // Faculty search the way they remember someone: part of the candidate's name or email address, or
  // of the site mentor's name or email ("who does Marta supervise?").
  const needle = query.q.toLocaleLowerCase();
  const haystack = (r: Row) => {
    const mentor = mentorOf.get(r.candidateSub);
    return [r.name, emails?.get(r.candidateSub) ?? '', mentor?.name ?? '', mentor?.email ?? ''].join('\n').toLocaleLowerCase();
  };
  const shown = needle ? all.filter((r) => haystack(r).includes(needle)) : all;
  const byName = (a: Row, b: Row) => a.name.localeCompare(b.name);
  const order: Record<CohortSort, (a: Row, b: Row) => number> = {
    name: byName,
    hours: (a, b) => b.countedHours - a.countedHours || byName(a, b),
    pending: (a, b) => b.pending - a.pending || byName(a, b),
    pace: (a, b) => PACE_ORDER[a.pace] - PACE_ORDER[b.pace] || byName(a, b),
  };
  const q = query.q ? `&q=${encodeURIComponent(query.q)}` : '';
  return {
    all,
    rows: shown.sort(order[query.sort]),
    total: all.length,
    behind: all.filter((r) => r.isBehind).length,
    q: query.q,
    isFiltered: Boolean(query.q),
    columns: COHORT_SORTS.map((s) => ({
      key: s,
      label: SORT_LABELS[s],
      href: `${pageHref}&sort=${s}${q}#candidates`,
      isSorted: s === query.sort,
      ariaSort: s === query.sort ? (s === 'hours' || s === 'pending' ? 'descending' : 'ascending') : 'none',
    })),
    sort: query.sort,
  };
}
