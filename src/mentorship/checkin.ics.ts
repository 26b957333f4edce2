/**
 * A planned check-in as an iCalendar file (RFC 5545), for the candidate's calendar and attached to
 * the mail to the mentor. The meeting time is as the candidate typed it, so it is written as a
 * floating local time (no zone): 3:30 PM stays 3:30 PM in both calendars. No time: an all-day event.
 */
import type { CheckIn } from './checkin.model';
import { MODE_LABELS } from './mentorship.presenter';

/** TEXT escaping of RFC 5545 §3.3.11. */
export function icsText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Lines of at most 75 octets, continued with CRLF + space (§3.1), never splitting a UTF-8 character. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    if (octets + size > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function checkInIcs(checkIn: CheckIn, activity: { title: string }, now = new Date()): string {
  const day = checkIn.date.replace(/-/g, '');
  const minutes = checkIn.durationMinutes || 60;
  const timing = checkIn.time
    ? [`DTSTART:${day}T${checkIn.time.replace(':', '')}00`, `DURATION:PT${minutes}M`]
    : [`DTSTART;VALUE=DATE:${day}`, `DURATION:P1D`];
  const description = [`${MODE_LABELS[checkIn.mode ?? 'in-person']} check-in (${activity.title}).`, checkIn.agenda ? `Agenda:\n${checkIn.agenda}` : ''].filter(Boolean).join('\n\n');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Fieldbook//Mentorship check-ins//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:checkin-${String(checkIn._id)}@fieldbook`,
    `DTSTAMP:${stamp(now)}`,
    ...timing,
    `SEQUENCE:${Math.max(0, (checkIn.version ?? 1) - 1)}`,
    `SUMMARY:${icsText(`Mentor check-in${checkIn.candidateName ? ` with ${checkIn.candidateName}` : ''}`)}`,
    ...(checkIn.location ? [`LOCATION:${icsText(checkIn.location)}`] : []),
    `DESCRIPTION:${icsText(description)}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
