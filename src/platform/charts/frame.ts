/**
 * What every chart shares around its drawing: ids for the SVG's title and description, the
 * viewBox, the palette, the legend and the data table that carries the same numbers as text.
 */
import { CHART_COLOURS, SERIES_COLOURS, chartId, formatNumber } from './scale';

export interface ChartSeries {
  name: string;
}

export interface ChartFrameInput {
  id: string;
  title: string;
  /** One or two sentences summarising the chart: the text alternative read before the table. */
  summary: string;
  /** e.g. "h": appended to numbers in the table and value labels. */
  unit: string;
  /** Stacked series, bottom first (at most as many as SERIES_COLOURS). */
  series: ChartSeries[];
  /** The header of the first table column (what a bar or row is, e.g. "Week of"). */
  categoryHeader: string;
}

export interface ChartFrameOptions {
  width: number;
  height: number;
  /** A line drawn over the bars (a pace or a required minimum): in the legend and a table column. */
  reference: { name: string } | null;
  /** One table row per bar: its values, their total, and the reference's cell text. */
  rows: { label: string; values: number[]; total: number; referenceCell?: string }[];
}

export const seriesColour = (i: number) => SERIES_COLOURS[i % SERIES_COLOURS.length];

export function chartFrame(input: ChartFrameInput, { width, height, reference, rows }: ChartFrameOptions) {
  const id = chartId(input.id);
  const isStacked = input.series.length > 1;
  return {
    id,
    titleId: `${id}-title`,
    descId: `${id}-desc`,
    title: input.title,
    summary: input.summary,
    viewBox: `0 0 ${width} ${height}`,
    colours: CHART_COLOURS,
    legend: [
      ...input.series.map((s, i) => ({ name: s.name, fill: seriesColour(i), isLine: false })),
      ...(reference ? [{ name: reference.name, fill: CHART_COLOURS.reference, isLine: true }] : []),
    ],
    table: {
      caption: input.title,
      headers: [input.categoryHeader, ...input.series.map((s) => `${s.name} (${input.unit})`), ...(isStacked ? [`Total (${input.unit})`] : []), ...(reference ? [`${reference.name} (${input.unit})`] : [])],
      rows: rows.map((r) => ({
        label: r.label,
        cells: [...r.values.map(formatNumber), ...(isStacked ? [formatNumber(r.total)] : []), ...(reference ? [r.referenceCell ?? '—'] : [])],
      })),
    },
  };
}
