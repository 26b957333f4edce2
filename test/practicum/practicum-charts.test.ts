import { expect } from 'chai';
import { Types } from 'mongoose';
import { presentPracticumCharts, type ChartEntry } from '../../src/practicum/practicum-charts.presenter';
import { computeProgress } from '../../src/practicum/progress.service';
import { toProgressEntry } from '../../src/practicum/progress-store';
import { RULE_PACKS, type RulePack } from '../../src/practicum/rule-packs';
import { renderPartial } from '../helpers/render-partial';

function entry(overrides: Partial<ChartEntry> = {}): ChartEntry {
  return {
    _id: new Types.ObjectId(),
    status: 'approved',
    date: '2026-09-09',
    minutes: 120,
    category: 'instructional-leadership',
    standards: ['1'],
    site: { siteId: null, name: 'Lincoln', district: 'D7', gradeBand: 'elementary', populations: [] },
    ...overrides,
  } as ChartEntry;
}
const rules = (overrides: Partial<RulePack> = {}): RulePack => ({ ...RULE_PACKS.ucea, requiredHours: 140, ...overrides });
// 2026-09-07 is a Monday; 14 weeks to Sunday 2026-12-13.
const term = { start: '2026-09-07', end: '2026-12-13' };
const today = '2026-10-01';
const sumColumn = (rows: { cells: string[] }[], i: number) => Math.round(rows.reduce((s, r) => s + Number(r.cells[i]), 0) * 100) / 100;

describe('practicum charts presenter', () => {
  it('weekly bars: one bar per term week (Monday starts), counted and waiting stacked, the pace needed as a line', () => {
    const entries = [
      entry({ date: '2026-09-07', minutes: 180 }),
      entry({ date: '2026-09-13', minutes: 60 }), // Sunday: same week as the 7th
      entry({ date: '2026-09-14', minutes: 90, status: 'submitted' }),
      entry({ date: '2026-09-15', minutes: 30, status: 'draft' }), // drafts are not charted
      entry({ date: '2026-08-01', minutes: 600 }), // outside the term: does not count, not charted
    ];
    const charts = presentPracticumCharts({ entries, rules: rules(), term, today });
    expect(charts.isEmpty).to.equal(false);
    const weekly = charts.weekly!;
    expect(weekly.table.rows).to.have.length(14);
    expect(weekly.table.headers).to.deep.equal(['Week of', 'Counted (h)', 'Waiting for review (h)', 'Total (h)', 'Pace needed (10 h a week) (h)']);
    expect(weekly.table.rows[0]).to.deep.equal({ label: 'Sep 7', cells: ['4', '0', '4', '10'] });
    expect(weekly.table.rows[1]).to.deep.equal({ label: 'Sep 14', cells: ['0', '1.5', '1.5', '10'] });
    expect(weekly.table.rows[13].label).to.equal('Dec 7');
    // The counted column adds up to what progress counts.
    const summary = computeProgress(entries.map(toProgressEntry), rules(), term, today);
    expect(sumColumn(weekly.table.rows, 0)).to.equal(summary.countedHours).and.to.equal(4);
    // Bars and table agree: the first bar's height is 4/10 of the 10 h reference's.
    const [bar] = weekly.bars;
    expect(bar.segments).to.have.length(1);
    expect(weekly.reference?.points).to.be.a('string');
    expect(weekly.summary).to.include('about 10 hours a week');
  });

  it('without term dates: weeks from the first to the last entry, the program’s weekly expectation if any', () => {
    const entries = [entry({ date: '2026-09-09' }), entry({ date: '2026-09-30' })];
    const noTerm = { start: null, end: null };
    const nelp = presentPracticumCharts({ entries, rules: { ...RULE_PACKS['nelp-building'] }, term: noTerm, today }).weekly!;
    expect(nelp.table.rows.map((r) => r.label)).to.deep.equal(['Sep 7', 'Sep 14', 'Sep 21', 'Sep 28']);
    expect(nelp.table.headers.at(-1)).to.equal('Expected (10 h a week) (h)');
    const plain = presentPracticumCharts({ entries, rules: rules(), term: noTerm, today }).weekly!;
    expect(plain.reference).to.equal(null);
    expect(plain.table.headers).to.have.length(4);
    expect(plain.summary).to.include('No term dates are set');
  });

  it('categories: required minimums are marked; excluded categories are not counted', () => {
    const entries = [
      entry({ category: 'observation-feedback', minutes: 300 }),
      entry({ category: 'observation-feedback', minutes: 60, status: 'verified' }),
      entry({ category: 'coursework', minutes: 600 }),
    ];
    const charts = presentPracticumCharts({ entries, rules: rules({ categoryMinimums: [{ category: 'data-improvement', minimumHours: 20 }] }), term, today });
    const cat = charts.categories!;
    expect(cat.table.headers).to.deep.equal(['Category', 'Counted (h)', 'Waiting for review (h)', 'Total (h)', 'Required minimum (h)']);
    expect(cat.table.rows).to.deep.equal([
      { label: 'Teacher observation and feedback', cells: ['5', '1', '6', '—'] },
      { label: 'Data and school improvement', cells: ['0', '0', '0', '20'] },
    ]);
    expect(cat.rows[1].target).to.not.equal(null);
    expect(cat.rows[1].segments).to.have.length(0);
  });

  it('standards by name, not number; an entry counts toward each standard it is tagged with', () => {
    const entries = [entry({ standards: ['1', '3'], minutes: 120 }), entry({ standards: ['3'], minutes: 60 })];
    const std = presentPracticumCharts({ entries, rules: rules(), term, today }).standards!;
    const rows = Object.fromEntries(std.table.rows.map((r) => [r.label, r.cells[0]]));
    expect(std.table.rows).to.have.length(10); // every PSEL standard, so gaps show
    expect(rows['Mission, Vision, and Core Values']).to.equal('2');
    expect(rows['Equity and Cultural Responsiveness']).to.equal('3');
    expect(rows['School Improvement']).to.equal('0');
    expect(std.table.rows.every((r) => !/^\d/.test(r.label))).to.equal(true);
    expect(std.summary).to.include('counts toward each');
    // NELP components show by their parent's name; only components that were used are listed.
    const nelp = presentPracticumCharts({ entries: [entry({ standards: ['7.2', '6.1'] })], rules: { ...RULE_PACKS['nelp-building'] }, term, today }).standards!;
    const labels = nelp.table.rows.map((r) => r.label);
    expect(labels).to.include('Building Professional Capacity: collaborative culture');
    expect(labels).to.include('Operations and Management (6.1)');
    expect(labels).to.not.include('Building Professional Capacity: hiring');
    // A component's hours count toward its standard too (once, even when both are tagged), so the standard does not read 0 h.
    const hoursOf = (charts: typeof nelp, label: string) => charts.table.rows.find((r) => r.label === label)?.cells;
    expect(hoursOf(nelp, 'Operations and Management')).to.deep.equal(hoursOf(nelp, 'Operations and Management (6.1)'));
    const both = presentPracticumCharts({ entries: [entry({ standards: ['6', '6.1'], minutes: 90 })], rules: { ...RULE_PACKS['nelp-building'] }, term, today }).standards!;
    expect(hoursOf(both, 'Operations and Management')).to.deep.equal(hoursOf(both, 'Operations and Management (6.1)'));
    expect(hoursOf(both, 'Ethics and Professional Norms')).to.not.deep.equal(hoursOf(both, 'Operations and Management'));
  });

  it('no entries, or only drafts: a plain sentence instead of empty charts', () => {
    const none = presentPracticumCharts({ entries: [], rules: rules(), term, today });
    expect(none).to.include({ isEmpty: true, weekly: null, categories: null, standards: null });
    expect(none.emptyText).to.equal('No hours logged yet. The charts appear here once hours are submitted.');
    const drafts = presentPracticumCharts({ entries: [entry({ status: 'draft' })], rules: rules(), term, today });
    expect(drafts.emptyText).to.include('No submitted hours yet');
    const html = renderPartial('practicum/charts', none);
    expect(html).to.include('data-testid="charts-empty"');
    expect(html).to.not.include('<svg');
  });

  it('renders through the partial with hostile standard tags escaped and tables matching the bars', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const charts = presentPracticumCharts({ entries: [entry({ standards: [hostile], minutes: 90 })], rules: rules(), term, today });
    const html = renderPartial('practicum/charts', charts);
    expect(html).to.include('Standard &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(html).to.not.include('<img');
    expect(html).to.not.match(/\sstyle=/);
    expect(html).to.include('<link rel="stylesheet" href="/static/charts.css">');
    expect(html.match(/<svg class="fb-chart-svg"/g)).to.have.length(3);
    expect(html.match(/<details class="fb-chart-data">/g)).to.have.length(3);
    // Every drawn bar segment has a table cell with its value.
    const std = charts.standards!;
    const row = std.table.rows.find((r) => r.label.startsWith('Standard '))!;
    expect(row.cells[0]).to.equal('1.5');
    expect(std.rows.find((r) => r.label === row.label)!.valueText).to.equal('1.5 h');
  });
});
