import { CHART_COLOURS, SERIES_COLOURS, chartId, formatNumber, niceScale, round } from './scale';

export interface ChartSeries {
  name: string;
}

export interface VerticalBarsInput {
  id: string;
  title: string;
  /** One or two sentences summarising the chart: the text alternative read before the table. */
  summary: string;
  /** e.g. "h": appended to numbers in the table and value labels. */
  unit: string;
  /** Stacked series, bottom first (at most as many as SERIES_COLOURS). */
  series: ChartSeries[];
  /** The header of the first table column (what a bar is, e.g. "Week of"). */
  categoryHeader: string;
  bars: { label: string; values: number[] }[];
  /** A reference drawn as a step line across each bar's slot (e.g. the pace needed per week). */
  reference?: { name: string; values: number[] } | null;
}

// viewBox units: 400 wide so 13-unit text stays readable when the chart is ~370 px wide (400 px screen).
const WIDTH = 400;
const HEIGHT = 200;
const PLOT = { left: 36, right: 8, top: 12, bottom: 24 };
const MAX_AXIS_LABELS = 8;

/** A stacked vertical bar chart (with an optional step reference line) as a model for vertical-bars.hbs. */
export function verticalBarChart(input: VerticalBarsInput) {
  const id = chartId(input.id);
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const totals = input.bars.map((b) => b.values.reduce((s, v) => s + Math.max(0, v), 0));
  const refValues = input.reference?.values ?? [];
  const scale = niceScale(Math.max(0, ...totals, ...refValues));
  const y = (v: number) => round(PLOT.top + plotHeight - (Math.max(0, v) / scale.top) * plotHeight);
  const slot = input.bars.length > 0 ? plotWidth / input.bars.length : plotWidth;
  const barWidth = round(Math.max(1, slot * 0.7));
  const labelEvery = Math.max(1, Math.ceil(input.bars.length / MAX_AXIS_LABELS));
  const unit = input.unit ? ` ${input.unit}` : '';

  const bars = input.bars.map((b, i) => {
    const x = round(PLOT.left + i * slot + (slot - barWidth) / 2);
    let base = 0;
    const segments = b.values.map((v, s) => {
      const value = Math.max(0, v);
      const top = y(base + value);
      const seg = { x, y: top, width: barWidth, height: round(y(base) - top), fill: SERIES_COLOURS[s % SERIES_COLOURS.length], tooltip: `${b.label}: ${formatNumber(value)}${unit} ${input.series[s]?.name ?? ''}`.trim() };
      base += value;
      return seg;
    });
    return { label: b.label, segments: segments.filter((s) => s.height > 0), showLabel: i % labelEvery === 0, labelX: round(x + barWidth / 2), labelY: HEIGHT - PLOT.bottom + 16 };
  });

  const reference = input.reference && refValues.length === input.bars.length
    ? {
        name: input.reference.name,
        stroke: CHART_COLOURS.reference,
        points: refValues.flatMap((v, i) => [`${round(PLOT.left + i * slot)},${y(v)}`, `${round(PLOT.left + (i + 1) * slot)},${y(v)}`]).join(' '),
      }
    : null;

  const legend = [
    ...input.series.map((s, i) => ({ name: s.name, fill: SERIES_COLOURS[i % SERIES_COLOURS.length], isLine: false })),
    ...(reference ? [{ name: reference.name, fill: reference.stroke, isLine: true }] : []),
  ];

  return {
    id,
    titleId: `${id}-title`,
    descId: `${id}-desc`,
    title: input.title,
    summary: input.summary,
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    colours: CHART_COLOURS,
    axis: { x1: PLOT.left, x2: WIDTH - PLOT.right, y: y(0) },
    gridlines: scale.ticks.map((t) => ({ y: y(t), label: formatNumber(t), labelX: PLOT.left - 4, labelY: round(y(t) + 4) })),
    bars,
    reference,
    legend,
    table: {
      caption: input.title,
      headers: [input.categoryHeader, ...input.series.map((s) => `${s.name} (${input.unit})`), ...(input.series.length > 1 ? [`Total (${input.unit})`] : []), ...(reference ? [`${reference.name} (${input.unit})`] : [])],
      rows: input.bars.map((b, i) => ({
        label: b.label,
        cells: [...b.values.map(formatNumber), ...(input.series.length > 1 ? [formatNumber(totals[i])] : []), ...(reference ? [formatNumber(refValues[i])] : [])],
      })),
    },
  };
}

export type VerticalBarChart = ReturnType<typeof verticalBarChart>;
