import { chartFrame, seriesColour, type ChartFrameInput } from './frame';
import { CHART_COLOURS, formatNumber, niceScale, round } from './scale';

export type { ChartSeries } from './frame';

export interface VerticalBarsInput extends ChartFrameInput {
  bars: { label: string; values: number[] }[];
  /** A reference drawn as a step line across each bar's slot (e.g. the pace needed per week). */
  reference?: { name: string; values: number[] } | null;
}

// viewBox units: 400 wide; public/charts.css sets the text larger on a phone, where the chart is
// drawn at less than its viewBox size.
const WIDTH = 400;
const HEIGHT = 200;
const PLOT = { left: 36, right: 8, top: 12, bottom: 24 };
const MAX_AXIS_LABELS = 8;
/** On a phone (larger text) only every other axis label is shown once there are more than this. */
const MAX_NARROW_AXIS_LABELS = 4;

/** A stacked vertical bar chart (with an optional step reference line) as a model for vertical-bars.hbs. */
export function verticalBarChart(input: VerticalBarsInput) {
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const totals = input.bars.map((b) => b.values.reduce((s, v) => s + Math.max(0, v), 0));
  const refValues = input.reference?.values ?? [];
  const scale = niceScale(Math.max(0, ...totals, ...refValues));
  const y = (v: number) => round(PLOT.top + plotHeight - (Math.max(0, v) / scale.top) * plotHeight);
  const slot = input.bars.length > 0 ? plotWidth / input.bars.length : plotWidth;
  const barWidth = round(Math.max(1, slot * 0.7));
  const labelEvery = Math.max(1, Math.ceil(input.bars.length / MAX_AXIS_LABELS));
  const labelCount = Math.ceil(input.bars.length / labelEvery);
  const unit = input.unit ? ` ${input.unit}` : '';

  const bars = input.bars.map((b, i) => {
    const x = round(PLOT.left + i * slot + (slot - barWidth) / 2);
    let base = 0;
    const segments = b.values.map((v, s) => {
      const value = Math.max(0, v);
      const top = y(base + value);
      const seg = { x, y: top, width: barWidth, height: round(y(base) - top), fill: seriesColour(s), tooltip: `${b.label}: ${formatNumber(value)}${unit} ${input.series[s]?.name ?? ''}`.trim() };
      base += value;
      return seg;
    });
    const showLabel = i % labelEvery === 0;
    const isNarrowHidden = showLabel && labelCount > MAX_NARROW_AXIS_LABELS && (i / labelEvery) % 2 === 1;
    return { label: b.label, segments: segments.filter((s) => s.height > 0), showLabel, isNarrowHidden, labelX: round(x + barWidth / 2), labelY: HEIGHT - PLOT.bottom + 16 };
  });

  const reference = input.reference && refValues.length === input.bars.length
    ? {
        name: input.reference.name,
        stroke: CHART_COLOURS.reference,
        points: refValues.flatMap((v, i) => [`${round(PLOT.left + i * slot)},${y(v)}`, `${round(PLOT.left + (i + 1) * slot)},${y(v)}`]).join(' '),
      }
    : null;

  return {
    ...chartFrame(input, {
      width: WIDTH,
      height: HEIGHT,
      reference,
      rows: input.bars.map((b, i) => ({ label: b.label, values: b.values, total: totals[i], referenceCell: reference ? formatNumber(refValues[i]) : undefined })),
    }),
    axis: { x1: PLOT.left, x2: WIDTH - PLOT.right, y: y(0) },
    gridlines: scale.ticks.map((t) => ({ y: y(t), label: formatNumber(t), labelX: PLOT.left - 4, labelY: round(y(t) + 4) })),
    bars,
    reference,
  };
}

export type VerticalBarChart = ReturnType<typeof verticalBarChart>;
