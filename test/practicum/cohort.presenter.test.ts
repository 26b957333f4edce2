import { expect } from 'chai';
import { cohortQuerySchema, presentCohortTable } from '../../src/practicum/cohort.presenter';
import type { MentorAssignmentView } from '../../src/practicum/practicum-mentors.service';
import type { PracticumProgress } from '../../src/practicum/practicum-progress.model';
import { totalsOf, type ProgressItem } from '../../src/practicum/progress-store';
import { rulePack } from '../../src/practicum/rule-packs';

// 300 h over Sep 1 – Dec 29; on Oct 30 about 149 h are expected: under ~134 h is behind, over ~180 h ahead.
const RULES = rulePack('nelp-building');
const TERM = { start: '2026-09-01', end: '2026-12-29' };
const TODAY = '2026-10-30';

const site = { name: 'Lincoln Elementary', district: 'North', gradeBand: null, populations: [] };
const item = (status: string, hours: number, day: number): ProgressItem => ({ version: 1, status, date: `2026-09-${String(day).padStart(2, '0')}`, minutes: hours * 60, category: 'instructional-leadership', site });

/** A candidate's progress document as the store keeps it: items, and totals recomputed from them. */
function progress(sub: string, name: string, approvedHours: number, pendingEntries = 0): PracticumProgress {
  const items: Record<string, ProgressItem> = {};
  for (let h = approvedHours, n = 0; h > 0; h -= 10, n++) items[`${sub}-a${n}`] = item('approved', Math.min(10, h), (n % 28) + 1);
  for (let n = 0; n < pendingEntries; n++) items[`${sub}-s${n}`] = item('submitted', 5, (n % 28) + 1);
  const hasItems = Object.keys(items).length > 0;
  return { candidateSub: sub, candidateName: name, items: hasItems ? items : null, ...totalsOf(items), grade: null } as unknown as PracticumProgress;
}

// Not in name order, so a missing tie-break (a stable sort keeping this order) fails the tests.
const COHORT = [
  progress('eli', 'Eli Zhou', 0),
  progress('dev', 'Dev Patel', 40, 2),
  progress('cara', 'Cara Diaz', 200),
  progress('ben', 'ben okafor', 40, 2),
  progress('ana', 'Ana Reyes', 150),
];
const MARTA = { candidateSub: 'ana', candidateName: 'Ana Reyes', name: 'Marta Site', email: 'marta@lincoln.example', status: 'invited', statusLabel: 'Invited', namedBy: 'Ana Reyes', namedByRole: 'candidate', expiresAt: null } as MentorAssignmentView;

const EMAILS = new Map([['eli', 'e.zhou@school.test'], ['cara', 'cd1@school.test']]);

function table(query: Record<string, string> = {}) {
  // A fresh copy each time: the table sorts what it is given.
  return presentCohortTable({ progress: [...COHORT], rules: RULES, term: TERM, today: TODAY, assignments: [MARTA], query: cohortQuerySchema.parse(query), pageHref: '/lti/practicum?ltik=L&aid=A', emails: EMAILS });
}
const names = (t: ReturnType<typeof table>) => t.rows.map((r) => r.name);

describe('cohort table: sort, search and pace (presentCohortTable)', () => {
  it('sorts by name by default, ignoring letter case, and for a sort it does not offer', () => {
    const byName = ['Ana Reyes', 'ben okafor', 'Cara Diaz', 'Dev Patel', 'Eli Zhou'];
    expect(names(table())).to.deep.equal(byName);
    expect(names(table({ sort: 'name' }))).to.deep.equal(byName);
    expect(names(table({ sort: 'drop table' }))).to.deep.equal(byName);
  });

  it('sorts by approved hours, most first, ties by name', () => {
    const t = table({ sort: 'hours' });
    expect(names(t)).to.deep.equal(['Cara Diaz', 'Ana Reyes', 'ben okafor', 'Dev Patel', 'Eli Zhou']);
    expect(t.rows.map((r) => r.countedHours)).to.deep.equal([200, 150, 40, 40, 0]);
  });

  it('sorts by entries awaiting review, most first, ties by name', () => {
    const t = table({ sort: 'pending' });
    expect(names(t)).to.deep.equal(['ben okafor', 'Dev Patel', 'Ana Reyes', 'Cara Diaz', 'Eli Zhou']);
    expect(t.rows.map((r) => r.pending)).to.deep.equal([2, 2, 0, 0, 0]);
    expect(t.rows[0].awaiting).to.equal('10 h');
  });

  it('sorts by pace, behind first, ties by name, and flags exactly the candidates behind pace', () => {
    const t = table({ sort: 'pace' });
    expect(names(t)).to.deep.equal(['ben okafor', 'Dev Patel', 'Eli Zhou', 'Ana Reyes', 'Cara Diaz']);
    expect(t.rows.map((r) => r.pace)).to.deep.equal(['behind', 'behind', 'behind', 'on-track', 'ahead']);
    expect(t.rows.filter((r) => r.isBehind).map((r) => r.name)).to.deep.equal(['ben okafor', 'Dev Patel', 'Eli Zhou']);
    expect(t.behind).to.equal(3);
  });

  it('marks the sorted column for screen readers and keeps the search in its links', () => {
    const t = table({ sort: 'hours', q: 'a&b' });
    expect(t.columns.map((c) => [c.key, c.isSorted, c.ariaSort])).to.deep.equal([
      ['name', false, 'none'],
      ['hours', true, 'descending'],
      ['pending', false, 'none'],
      ['pace', false, 'none'],
    ]);
    expect(t.columns[3].href).to.equal('/lti/practicum?ltik=L&aid=A&sort=pace&q=a%26b#candidates');
  });

  it('finds candidates by any part of their name, in any letter case, in the chosen order; counts stay the whole cohort’s', () => {
    expect(names(table({ q: 'OKAFOR' }))).to.deep.equal(['ben okafor']);
    const t = table({ q: '  a ', sort: 'hours' });
    expect(names(t)).to.deep.equal(['Cara Diaz', 'Ana Reyes', 'ben okafor', 'Dev Patel']);
    expect(t.isFiltered).to.equal(true);
    expect([t.total, t.behind]).to.deep.equal([5, 3]);
    const none = table({ q: 'nobody' });
    expect(none.rows).to.deep.equal([]);
    expect(none.q).to.equal('nobody');
  });

  it('finds candidates by part of their email address or of their mentor’s name or email', () => {
    expect(names(table({ q: 'E.ZHOU@' }))).to.deep.equal(['Eli Zhou']);
    expect(names(table({ q: 'school.test' }))).to.deep.equal(['Cara Diaz', 'Eli Zhou']);
    expect(names(table({ q: 'marta' }))).to.deep.equal(['Ana Reyes']);
    expect(names(table({ q: '@lincoln.example' }))).to.deep.equal(['Ana Reyes']);
    // Without the roster's addresses only names and mentors match.
    const noEmails = presentCohortTable({ progress: [...COHORT], rules: RULES, term: TERM, today: TODAY, assignments: [MARTA], query: cohortQuerySchema.parse({ q: 'school.test' }), pageHref: '/lti/practicum?ltik=L&aid=A' });
    expect(noEmails.rows).to.deep.equal([]);
  });

  it('names each candidate’s site mentor, or says none is named yet', () => {
    const rows = new Map(table().rows.map((r) => [r.candidateSub, r]));
    expect([rows.get('ana')!.mentor, rows.get('ana')!.mentorStatus]).to.deep.equal(['Marta Site', 'Invited']);
    expect([rows.get('ben')!.mentor, rows.get('ben')!.mentorStatus]).to.deep.equal(['', 'No mentor named yet']);
  });
});
