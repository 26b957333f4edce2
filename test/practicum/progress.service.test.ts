import { expect } from 'chai';
import { computeProgress, entryReasons, isSummer, type ProgressEntry, type Term } from '../../src/practicum/progress.service';
import { RULE_PACKS, type RulePack } from '../../src/practicum/rule-packs';

let seq = 0;
function entry(overrides: Partial<ProgressEntry> = {}): ProgressEntry {
  seq += 1;
  return {
    id: `e${seq}`,
    status: 'approved',
    date: '2026-10-05',
    minutes: 120,
    category: 'instructional-leadership',
    site: { name: 'Lincoln Elementary', district: 'District 7', gradeBand: 'elementary', populations: ['general'] },
    ...overrides,
  };
}
const pack = (overrides: Partial<RulePack> = {}): RulePack => ({ ...RULE_PACKS.custom, requiredHours: 10, ...overrides });
const noTerm: Term = { start: null, end: null };
const codes = (e: ProgressEntry, rules: RulePack, term = noTerm) => entryReasons(e, rules, term).map((r) => r.code);

describe('practicum progress (pure)', () => {
  describe('reasons an hour does not count', () => {
    it('an approved entry inside the term in an allowed category counts (no reasons)', () => {
      expect(codes(entry(), pack(), { start: '2026-09-01', end: '2026-12-20' })).to.deep.equal([]);
    });
    it('names each unapproved status', () => {
      expect(codes(entry({ status: 'draft' }), pack())).to.deep.equal(['not-submitted']);
      expect(codes(entry({ status: 'returned' }), pack())).to.deep.equal(['returned']);
      expect(codes(entry({ status: 'submitted' }), pack({ requiresMentorVerification: true }))).to.deep.equal(['awaiting-mentor']);
      expect(codes(entry({ status: 'submitted' }), pack({ requiresMentorVerification: false }))).to.deep.equal(['awaiting-faculty']);
      expect(codes(entry({ status: 'verified' }), pack())).to.deep.equal(['awaiting-faculty']);
    });
    it('excluded categories never count (Illinois: lunch and recess supervision, coursework)', () => {
      expect(codes(entry({ category: 'lunch-recess-supervision' }), RULE_PACKS.illinois)).to.deep.equal(['excluded-category']);
      expect(codes(entry({ category: 'coursework' }), RULE_PACKS.illinois)).to.deep.equal(['excluded-category']);
      expect(codes(entry({ category: 'lunch-recess-supervision' }), RULE_PACKS.ucea)).to.deep.equal([]);
    });
    it('dates outside the term do not count, on both ends; the term bounds themselves count', () => {
      const term = { start: '2026-09-01', end: '2026-12-20' };
      expect(codes(entry({ date: '2026-08-31' }), pack(), term)).to.deep.equal(['outside-term']);
      expect(codes(entry({ date: '2026-12-21' }), pack(), term)).to.deep.equal(['outside-term']);
      expect(codes(entry({ date: '2026-09-01' }), pack(), term)).to.deep.equal([]);
      expect(codes(entry({ date: '2026-12-20' }), pack(), term)).to.deep.equal([]);
    });
    it('an entry without a date does not count', () => {
      expect(codes(entry({ date: null }), pack())).to.deep.equal(['no-date']);
    });
    it('several reasons are all reported', () => {
      expect(codes(entry({ status: 'draft', category: 'coursework', date: '2025-01-01' }), RULE_PACKS.ucea, { start: '2026-01-01', end: null })).to.deep.equal(['not-submitted', 'excluded-category', 'outside-term']);
    });
  });

  describe('totals and requirements', () => {
    it('totals hours by status and counts only approved, eligible hours', () => {
      const s = computeProgress([entry({ minutes: 60 }), entry({ status: 'draft', minutes: 30 }), entry({ status: 'submitted', minutes: 90 }), entry({ category: 'coursework', minutes: 60 })], pack({ excludedCategories: ['coursework'] }), noTerm, '2026-10-10');
      expect(s.hoursByStatus).to.deep.equal({ draft: 0.5, submitted: 1.5, verified: 0, approved: 2, returned: 0 });
      expect(s.countedHours).to.equal(1);
      expect(s.hours).to.include({ counted: 1, required: 10, isMet: false });
      expect(s.reasonTotals.map((r) => [r.code, r.hours])).to.deep.equal([['not-submitted', 0.5], ['awaiting-faculty', 1.5], ['excluded-category', 1]]);
      expect(s.notCounted).to.have.length(3);
    });
    it('checks per-category minimums', () => {
      const rules = pack({ requiredHours: 0, categoryMinimums: [{ category: 'observation-feedback', minimumHours: 2 }, { category: 'family-community', minimumHours: 1 }] });
      const s = computeProgress([entry({ category: 'observation-feedback', minutes: 150 }), entry({ category: 'family-community', minutes: 30 })], rules, noTerm, '2026-10-10');
      expect(s.categories.map((c) => [c.label, c.counted, c.isMet])).to.deep.equal([['Teacher observation and feedback', 2.5, true], ['Family and community engagement', 0.5, false]]);
      expect(s.isComplete).to.equal(false);
    });
    it('counts distinct sites case-insensitively (Virginia: five sites)', () => {
      const sites = ['Lincoln', 'lincoln ', 'Jefferson', 'Central Office', 'Agency A'].map((name) => entry({ site: { name, district: 'D', gradeBand: 'elementary', populations: [] } }));
      const s = computeProgress(sites, RULE_PACKS.virginia, noTerm, '2026-10-10');
      expect(s.settings[0]).to.include({ id: 'distinct-sites', counted: 4, required: 5, isMet: false });
      const more = computeProgress([...sites, entry({ site: { name: 'Washington High', district: 'D', gradeBand: 'high', populations: [] } })], RULE_PACKS.virginia, noTerm, '2026-10-10');
      expect(more.settings[0].isMet).to.equal(true);
    });
    it('requires every grade band and population of the pack (Illinois), from counted hours only', () => {
      const bands = ['early-childhood', 'elementary', 'middle', 'high'];
      const pops = ['general', 'special-education', 'bilingual', 'gifted'];
      const entries = bands.map((b, i) => entry({ site: { name: `S${i}`, district: '', gradeBand: b, populations: [pops[i]] } }));
      expect(computeProgress(entries, RULE_PACKS.illinois, noTerm, '2026-10-10').isComplete).to.equal(true);
      entries[3].status = 'verified';
      const s = computeProgress(entries, RULE_PACKS.illinois, noTerm, '2026-10-10');
      expect(s.settings.filter((r) => !r.isMet).map((r) => r.id)).to.deep.equal(['band:high', 'population:gifted']);
      expect(s.isComplete).to.equal(false);
    });
    it('measures the weeks between first and last counted entry (NELP 8.2: six months)', () => {
      const rules = { ...RULE_PACKS['nelp-building'], requiredHours: 1, requiredSettings: { minDistinctSites: 0, gradeBands: [], populations: [] } };
      const short = computeProgress([entry({ date: '2026-01-05' }), entry({ date: '2026-04-05' })], rules, noTerm, '2026-10-10');
      expect(short.weeks).to.include({ counted: 12, required: 26, isMet: false });
      const long = computeProgress([entry({ date: '2026-01-05' }), entry({ date: '2026-07-06' })], rules, noTerm, '2026-10-10');
      expect(long.weeks?.isMet).to.equal(true);
    });
  });

  describe('the summer rule (Texas: not exclusively in summer)', () => {
    it('knows June to August', () => {
      expect(['2026-05-31', '2026-06-01', '2026-08-31', '2026-09-01'].map(isSummer)).to.deep.equal([false, true, true, false]);
    });
    it('summer-only hours do not count yet, with the reason, until some hours fall outside summer', () => {
      const rules = { ...RULE_PACKS.texas, requiredHours: 2 };
      const summerOnly = computeProgress([entry({ date: '2026-07-01', minutes: 180 })], rules, noTerm, '2026-10-10');
      expect(summerOnly.countedHours).to.equal(0);
      expect(summerOnly.summer?.isMet).to.equal(false);
      expect(summerOnly.notCounted[0].reasons.map((r) => r.code)).to.deep.equal(['summer-only']);
      const mixed = computeProgress([entry({ date: '2026-07-01', minutes: 180 }), entry({ date: '2026-09-15', minutes: 60 })], rules, noTerm, '2026-10-10');
      expect(mixed.countedHours).to.equal(4);
      expect(mixed.summer?.isMet).to.equal(true);
      expect(mixed.isComplete).to.equal(true);
    });
    it('does not apply to packs without the rule', () => {
      const s = computeProgress([entry({ date: '2026-07-01' })], pack(), noTerm, '2026-10-10');
      expect(s.summer).to.equal(null);
      expect(s.countedHours).to.equal(2);
    });
  });

  describe('pace against the term', () => {
    const term = { start: '2026-09-01', end: '2026-12-31' };
    const rules = pack({ requiredHours: 100 });
    it('reports no pace without term dates', () => {
      expect(computeProgress([], rules, noTerm, '2026-10-10').pace.status).to.equal('no-term');
    });
    it('expects hours in proportion to the term elapsed', () => {
      const s = computeProgress([], rules, term, '2026-11-01');
      expect(s.pace.expectedHours).to.be.closeTo(50, 1);
      expect(s.pace.status).to.equal('behind');
      expect(s.pace.weeklyHoursNeeded).to.be.greaterThan(11);
    });
    it('counts hours awaiting review as projected, and is on track or ahead accordingly', () => {
      const onTrack = computeProgress([entry({ status: 'submitted', minutes: 48 * 60 })], rules, term, '2026-11-01');
      expect(onTrack.pace.projectedHours).to.equal(48);
      expect(onTrack.pace.status).to.equal('on-track');
      expect(computeProgress([entry({ minutes: 80 * 60 })], rules, term, '2026-11-01').pace.status).to.equal('ahead');
    });
    it('before and after the term', () => {
      expect(computeProgress([], rules, term, '2026-08-01').pace).to.include({ status: 'not-started', expectedHours: 0 });
      expect(computeProgress([], rules, term, '2027-01-15').pace).to.include({ status: 'ended', expectedHours: 100 });
    });
  });

  describe('completion', () => {
    it('is the mean of requirement fractions and reaches 1 only when all are met', () => {
      const rules = pack({ requiredHours: 4, requiredSettings: { minDistinctSites: 0, gradeBands: ['high'], populations: [] } });
      const half = computeProgress([entry({ minutes: 240 })], rules, noTerm, '2026-10-10');
      expect(half.hours.isMet).to.equal(true);
      expect(half.completion).to.equal(0.5);
      const full = computeProgress([entry({ minutes: 240, site: { name: 'H', district: '', gradeBand: 'high', populations: [] } })], rules, noTerm, '2026-10-10');
      expect(full.completion).to.equal(1);
      expect(full.isComplete).to.equal(true);
    });
    it('with no requirement at all, any counted hour completes', () => {
      const rules = pack({ requiredHours: 0 });
      expect(computeProgress([], rules, noTerm, '2026-10-10')).to.include({ completion: 0, isComplete: false });
      expect(computeProgress([entry()], rules, noTerm, '2026-10-10')).to.include({ completion: 1, isComplete: true });
    });
  });
});
