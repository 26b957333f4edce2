/** The practicum log as a spreadsheet: one row per entry, the columns licensure offices and programs ask for. */
import { toCsv, type CsvCell } from '../platform/csv';
import type { DisplayZone } from '../platform/time-zone';
import type { LogEntryRow } from './practicum-export.service';

/** Header row; every time column names its zone, so no time reads as local when it is not. */
export function csvHeader(zone: DisplayZone): string[] {
  const at = (label: string) => `${label} (${zone.zone})`;
  return [
    'Candidate',
    'Date',
    'Hours',
    'Minutes',
    'Site',
    'District',
    'Grade band / level',
    'Populations served',
    'Category',
    'Standards (codes)',
    'Standards (names)',
    'Description',
    'Reflection',
    'Status',
    'Counts toward requirements',
    'Why it does not count',
    at('Submitted at'),
    'Verified by',
    at('Verified at'),
    'Approved by',
    at('Approved at'),
    'Returned by',
    at('Returned at'),
    'Returned comment',
  ];
}

export function csvCells(r: LogEntryRow): CsvCell[] {
  return [
    r.candidateName,
    r.date,
    r.hours,
    r.minutes,
    r.site,
    r.district,
    r.level,
    r.populations,
    r.category,
    r.standardCodes.join('; '),
    r.standardNames.filter(Boolean).join('; '),
    r.description,
    r.reflection,
    r.statusLabel,
    r.counts ? 'Yes' : 'No',
    r.whyNotCounted,
    r.submittedAt,
    r.verifiedBy,
    r.verifiedAt,
    r.approvedBy,
    r.approvedAt,
    r.returnedBy,
    r.returnedAt,
    r.returnedComment,
  ];
}

export function practicumCsv(rows: LogEntryRow[], zone: DisplayZone): string {
  return toCsv(csvHeader(zone), rows.map(csvCells));
}
