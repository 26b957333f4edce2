/** Server-rendered, accessible SVG charts (no feature knowledge): models for views/partials/charts/*. */
export { horizontalBarChart, type HorizontalBarChart, type HorizontalBarsInput } from './horizontal-bars';
export { verticalBarChart, type VerticalBarChart, type VerticalBarsInput, type ChartSeries } from './vertical-bars';
export { CHART_COLOURS, SERIES_COLOURS, contrastRatio, niceScale } from './scale';

/** The stylesheet a page showing charts links (the chart partials link it themselves). */
export const CHARTS_STYLESHEET = '/static/charts.css';
