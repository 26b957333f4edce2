/**
 * CSV for people who open it in a spreadsheet: RFC 4180 (CRLF rows, fields with a comma, quote or
 * line break quoted, quotes doubled), UTF-8 with a byte-order mark so Excel reads it as UTF-8, and
 * text that a spreadsheet would run as a formula (= + - @, tab, CR first) neutralised with a leading
 * apostrophe (OWASP "CSV injection"). Numbers stay numbers.
 */

export type CsvCell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: CsvCell[]): string {
  return cells.map(csvCell).join(',');
}

/** The whole file: BOM, header row, rows, each ended by CRLF. */
export function toCsv(header: string[], rows: CsvCell[][]): string {
  return `\uFEFF${[header, ...rows].map(csvRow).join('\r\n')}\r\n`;
}

/**
 * A file name safe in a Content-Disposition header and on every OS: letters, digits, dot, dash and
 * underscore only (accents dropped, everything else a dash), at most 80 characters before the suffix.
 */
export function safeFileName(stem: string, suffix: string): string {
  const ascii = stem.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const cleaned = ascii.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-').replace(/\.{2,}/g, '.').replace(/^[-.]+|[-.]+$/g, '').slice(0, 80);
  return `${cleaned || 'export'}${suffix}`;
}
