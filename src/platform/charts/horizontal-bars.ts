import { chartFrame, seriesColour, type ChartFrameInput } from './frame';
import { formatNumber, niceScale, round } from './scale';

export interface HorizontalBarsInput extends ChartFrameInput {
  /** `target`: a marker (e.g. a required minimum) drawn across the row and listed in the table. */
  rows: { label: string; values: number[]; target?: number | null }[];
  targetName?: string;
}

const WIDTH = 400;
const ROW = 40;
const TOP = 8;
const BOTTOM = 4;
// Labels sit above their bar (full width), so long names need no left margin at 400 px.
const BAR = { left: 4, right: 64, offset: 18, height: 14 };

/** Stacked horizontal bars, one row per label, as a model for horizontal-bars.hbs. */
export function horizontalBarChart(input: HorizontalBarsInput) {
  const plotWidth = WIDTH - BAR.left - BAR.right;
  const totals = input.rows.map((r) => r.values.reduce((s, v) => s + Math.max(0, v), 0));
  const hasTargets = input.rows.some((r) => typeof r.target === 'number' && r.target > 0);
  const scale = niceScale(Math.max(0, ...totals, ...input.rows.map((r) => r.target ?? 0)));
  const x = (v: number) => round(BAR.left + (Math.max(0, v) / scale.top) * plotWidth);
  const unit = input.unit ? ` ${input.unit}` : '';
  const height = TOP + input.rows.length * ROW + BOTTOM;

  const rows = input.rows.map((r, i) => {
    const top = TOP + i * ROW;
    let base = 0;
    const segments = r.values
      .map((v, s) => {
        const value = Math.max(0, v);
        const seg = { x: x(base), y: top + BAR.offset, width: round(x(base + value) - x(base)), height: BAR.height, fill: seriesColour(s), tooltip: `${r.label}: ${formatNumber(value)}${unit} ${input.series[s]?.name ?? ''}`.trim() };
        base += value;
        return seg;
      })
      .filter((s) => s.width > 0);
    const target = typeof r.target === 'number' && r.target > 0 ? { x: x(r.target), y1: top + BAR.offset - 3, y2: top + BAR.offset + BAR.height + 3 } : null;
    return {
      label: r.label,
      labelX: BAR.left,
      labelY: top + 13,
      segments,
      track: { x: BAR.left, y: top + BAR.offset, width: plotWidth, height: BAR.height },
      target,
      valueText: `${formatNumber(totals[i])}${unit}`,
      valueX: round(x(totals[i]) + 6),
      valueY: top + BAR.offset + 11,
    };
  });

  return {
    ...chartFrame(input, {
      width: WIDTH,
      height,
      reference: hasTargets ? { name: input.targetName ?? 'Required' } : null,
      rows: input.rows.map((r, i) => ({ label: r.label, values: r.values, total: totals[i], referenceCell: r.target ? formatNumber(r.target) : '—' })),
    }),
    rows,
  };
}

export type HorizontalBarChart = ReturnType<typeof horizontalBarChart>;
