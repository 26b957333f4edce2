/**
 * Times on pages: <time datetime="ISO" data-local>fallback</time>, rewritten into the viewer's own
 * time zone by public/js/local-time.js (a static script, so the CSP stays 'self'). The fallback,
 * read without JavaScript, is in the course's or platform's zone when one is known, else a plain
 * date — a page never says "UTC" (people in an LMS iframe read it as a wrong time).
 */
import Handlebars from 'handlebars';
import { formatInZone, isTimeZone } from './time-zone';

/** The script that rewrites <time data-local> elements (layouts load it with defer). */
export const LOCAL_TIME_SCRIPT = '/static/js/local-time.js';

export interface LocalTime {
  iso: string;
  /** What shows before (or without) the script. */
  text: string;
}

function toDate(value: unknown): Date | null {
  const d = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/** The model of one time: ISO instant and the fallback text (zone: an IANA name, when known). */
export function localTime(value: unknown, zone?: string | null): LocalTime | null {
  const date = toDate(value);
  if (!date) return null;
  const iso = date.toISOString();
  // The UTC "zone" is what time-zone.ts falls back to when nothing is known: show a date only.
  const text = zone && zone !== 'UTC' && isTimeZone(zone) ? formatInZone(date, zone) : iso.slice(0, 10);
  return { iso, text };
}

/** The <time> element, every part escaped; '' for no time (Handlebars helper `localTime`). */
export function localTimeHtml(value: unknown, zone?: string | null): Handlebars.SafeString | '' {
  const t = localTime(value, zone);
  if (!t) return '';
  const e = Handlebars.escapeExpression;
  return new Handlebars.SafeString(`<time class="fb-time" datetime="${e(t.iso)}" data-local>${e(t.text)}</time>`);
}

/** Plain text for sentences that cannot hold markup: a date in a known zone, never "UTC". */
export function localTimeText(value: unknown, zone?: string | null): string {
  return localTime(value, zone)?.text ?? '';
}

/** "in about 5 minutes": for sentences, where a zone-free wording needs no markup. */
export function fromNow(date: Date | null, now = new Date()): string {
  if (!date) return 'soon';
  const minutes = Math.round((date.getTime() - now.getTime()) / 60_000);
  if (minutes < 1) return 'in less than a minute';
  if (minutes < 90) return `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  return hours < 36 ? `in about ${hours} hours` : `in about ${Math.round(hours / 24)} days`;
}
