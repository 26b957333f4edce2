/**
 * Times shown to people are in a named zone: the viewer's (their browser, or the LMS's custom
 * parameter) when known, otherwise UTC — and then the zone is said next to them.
 */

export interface DisplayZone {
  /** IANA zone name, e.g. America/Chicago, or UTC. */
  zone: string;
  /** Whether the zone came from the viewer (false: UTC because nothing better was known). */
  isKnown: boolean;
}

export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !value || value.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The first valid zone among the candidates, or UTC (not known). */
export function displayZone(...candidates: unknown[]): DisplayZone {
  const found = candidates.find(isTimeZone);
  return found ? { zone: found, isKnown: true } : { zone: 'UTC', isKnown: false };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD HH:mm in the zone (24-hour clock); '' for no date. */
export function formatInZone(date: Date | null | undefined, zone: string): string {
  if (!date || Number.isNaN(date.getTime())) return '';
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
