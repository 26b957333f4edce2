/**
 * Shared pieces of the server-rendered charts: a readable axis scale, the palette and ids.
 * Charts are SVG drawn by Handlebars partials (views/partials/charts/*) from these models, so every
 * label is escaped by Handlebars and no script or inline style is needed (the CSP stays strict).
 */

/**
 * Colours as SVG presentation attributes (a stylesheet may not override them): each has at least
 * 3:1 contrast on white (WCAG 2.1 1.4.11 for graphics) and the text colour at least 4.5:1 (1.4.3).
 */
export const CHART_COLOURS = {
  text: '#212529',
  axis: '#6c757d',
  grid: '#dee2e6',
  primary: '#1d4f91',
  secondary: '#b24a00',
  reference: '#212529',
} as const;

/** The palette a chart's series take in order (text, grid and axis are not series colours). */
export const SERIES_COLOURS = [CHART_COLOURS.primary, CHART_COLOURS.secondary] as const;

/** WCAG relative-luminance contrast ratio of two #rrggbb colours. */
export function contrastRatio(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** A top value of 1, 2, 2.5 or 5 × 10ⁿ at or above `max`, and a tick step giving 4–5 gridlines. */
export function niceScale(max: number): { top: number; step: number; ticks: number[] } {
  const safe = Number.isFinite(max) && max > 0 ? max : 1;
  const magnitude = 10 ** Math.floor(Math.log10(safe));
  const step = [0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => safe / s <= 5) ?? 10 * magnitude;
  const top = Math.ceil(safe / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += step) ticks.push(round(t));
  return { top: round(top), step: round(step), ticks };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Ids end up in id="" and aria-labelledby: letters, digits and dashes only. */
export function chartId(raw: string): string {
  const id = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `chart-${id || 'x'}`;
}

/** "12.5 h" style numbers in the tables and labels (no trailing zeros). */
export const formatNumber = (n: number) => String(round(n));
