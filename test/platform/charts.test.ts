import { expect } from 'chai';
import { CHART_COLOURS, SERIES_COLOURS, contrastRatio, horizontalBarChart, niceScale, verticalBarChart } from '../../src/platform/charts';
import { renderPartial } from '../helpers/render-partial';

const HOSTILE = `<script>alert(1)</script>" onload="x`;

describe('SVG charts (src/platform/charts)', () => {
  it('scales to a readable top value with 4–5 gridlines', () => {
    expect(niceScale(0)).to.deep.equal({ top: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceScale(13)).to.include({ top: 15, step: 5 });
    expect(niceScale(300).top).to.equal(300);
    expect(niceScale(301).top).to.equal(400);
    expect(niceScale(7.2)).to.include({ top: 8, step: 2 });
  });

  it('colours meet WCAG AA on white: graphics 3:1, text 4.5:1', () => {
    for (const c of [...SERIES_COLOURS, CHART_COLOURS.reference, CHART_COLOURS.axis]) expect(contrastRatio(c, '#ffffff'), c).to.be.at.least(3);
    expect(contrastRatio(CHART_COLOURS.text, '#ffffff')).to.be.at.least(4.5);
    // The two stacked series must also be told apart from each other.
    expect(contrastRatio(SERIES_COLOURS[0], SERIES_COLOURS[1])).to.be.greaterThan(1.2);
    expect(contrastRatio('#000000', '#ffffff')).to.be.closeTo(21, 0.01);
  });

  it('vertical bars: heights proportional to the values, stacked, and a step line for the reference', () => {
    const chart = verticalBarChart({
      id: 'Weekly Hours!',
      title: 'Hours per week',
      summary: 'Three weeks.',
      unit: 'h',
      series: [{ name: 'Counted' }, { name: 'Waiting' }],
      categoryHeader: 'Week of',
      bars: [
        { label: 'Sep 1', values: [10, 0] },
        { label: 'Sep 8', values: [5, 5] },
        { label: 'Sep 15', values: [0, 0] },
      ],
      reference: { name: 'Pace', values: [8, 8, 8] },
    });
    expect(chart.id).to.equal('chart-weekly-hours');
    expect(chart.viewBox).to.equal('0 0 400 200');
    const [a, b, c] = chart.bars;
    expect(a.segments).to.have.length(1);
    // 10 h against a top of 10 fills the plot: from the top margin (12) down to the axis.
    expect(a.segments[0].y).to.equal(12);
    expect(a.segments[0].y + a.segments[0].height).to.equal(chart.axis.y);
    expect(b.segments.map((s) => s.height)).to.deep.equal([a.segments[0].height / 2, a.segments[0].height / 2]);
    expect(b.segments[1].y + b.segments[1].height).to.equal(b.segments[0].y);
    expect(b.segments.map((s) => s.fill)).to.deep.equal([...SERIES_COLOURS]);
    expect(c.segments).to.have.length(0);
    expect(chart.reference?.points.split(' ')).to.have.length(6);
    // The data table has exactly the bars' numbers, plus totals and the reference.
    expect(chart.table.headers).to.deep.equal(['Week of', 'Counted (h)', 'Waiting (h)', 'Total (h)', 'Pace (h)']);
    expect(chart.table.rows).to.deep.equal([
      { label: 'Sep 1', cells: ['10', '0', '10', '8'] },
      { label: 'Sep 8', cells: ['5', '5', '10', '8'] },
      { label: 'Sep 15', cells: ['0', '0', '0', '8'] },
    ]);
  });

  it('vertical bars: many weeks label every few bars, but the table lists every week', () => {
    const bars = Array.from({ length: 26 }, (_, i) => ({ label: `W${i + 1}`, values: [i] }));
    const chart = verticalBarChart({ id: 'w', title: 't', summary: 's', unit: 'h', series: [{ name: 'Counted' }], categoryHeader: 'Week', bars });
    expect(chart.bars.filter((b) => b.showLabel).length).to.be.at.most(8);
    // On a phone (larger text, public/charts.css) every other shown label is hidden: at most 4 remain.
    const narrow = chart.bars.filter((b) => b.showLabel && !b.isNarrowHidden).map((b) => b.label);
    expect(narrow).to.deep.equal(['W1', 'W9', 'W17', 'W25']);
    expect(verticalBarChart({ id: 'w', title: 't', summary: 's', unit: 'h', series: [{ name: 'Counted' }], categoryHeader: 'Week', bars: bars.slice(0, 4) }).bars.some((b) => b.isNarrowHidden)).to.equal(false);
    expect(chart.table.rows).to.have.length(26);
    expect(chart.table.headers).to.deep.equal(['Week', 'Counted (h)']);
    const maxBar = chart.bars[25].segments[0];
    expect(maxBar.x + maxBar.width).to.be.at.most(400);
  });

  it('horizontal bars: widths proportional, targets marked, table equals the bars', () => {
    const chart = horizontalBarChart({
      id: 'cat',
      title: 'Hours by category',
      summary: 's',
      unit: 'h',
      series: [{ name: 'Counted' }, { name: 'Waiting' }],
      categoryHeader: 'Category',
      targetName: 'Minimum',
      rows: [
        { label: 'A', values: [20, 0], target: 40 },
        { label: 'B', values: [10, 10], target: null },
      ],
    });
    const [a, b] = chart.rows;
    expect(a.target?.x).to.equal(a.track.x + a.track.width);
    expect(a.segments[0].width).to.equal(a.track.width / 2);
    expect(b.segments[0].width + b.segments[1].width).to.equal(a.segments[0].width);
    expect(b.target).to.equal(null);
    expect(a.valueText).to.equal('20 h');
    expect(chart.table.rows).to.deep.equal([
      { label: 'A', cells: ['20', '0', '20', '40'] },
      { label: 'B', cells: ['10', '10', '20', '—'] },
    ]);
  });

  it('renders accessible SVG with every label escaped and no inline style or script', () => {
    const vertical = verticalBarChart({ id: HOSTILE, title: HOSTILE, summary: HOSTILE, unit: 'h', series: [{ name: HOSTILE }], categoryHeader: HOSTILE, bars: [{ label: HOSTILE, values: [3] }], reference: { name: HOSTILE, values: [2] } });
    const horizontal = horizontalBarChart({ id: 'h', title: HOSTILE, summary: HOSTILE, unit: 'h', series: [{ name: HOSTILE }], categoryHeader: HOSTILE, rows: [{ label: HOSTILE, values: [3], target: 4 }], targetName: HOSTILE });
    for (const [partial, model] of [['charts/vertical-bars', vertical], ['charts/horizontal-bars', horizontal]] as const) {
      const html = renderPartial(partial, model);
      expect(html).not.to.include('<script');
      expect(html).not.to.include('" onload=');
      expect(html).not.to.match(/\sstyle=/);
      expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload&#x3D;&quot;x');
      expect(html).to.match(/<svg [^>]*role="img" aria-labelledby="(chart-[a-z0-9-]+)-title \1-desc"/);
      expect(html).to.match(/<title id="chart-[a-z0-9-]+-title">/);
      expect(html).to.match(/<desc id="chart-[a-z0-9-]+-desc">/);
      expect(html).to.include('viewBox="0 0 400 ');
      expect(html).to.include('width="100%"');
      expect(html).to.match(/<details class="fb-chart-data">[\s\S]*<table[\s\S]*<td>3<\/td>/);
    }
  });
});
