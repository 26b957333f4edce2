import { z } from 'zod';
import { calendarDate, longDate, optionalFormNumber, yearsFromToday, type FieldErrors } from '../platform/validate';
import type { Term } from './progress.service';
import { ACTIVITY_CATEGORIES, GRADE_BANDS, POPULATIONS } from './rule-packs';

const objectId = z.string().regex(/^[a-f0-9]{24}$/, 'Unknown entry.');
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));
/**
 * Entry dates: no program logged hours before 1990; a draft may be planned up to a year ahead
 * (submitting still refuses a future date: missingForSubmit).
 */
export const entryDate = calendarDate({ min: '1990-01-01', max: yearsFromToday(1) });
const text = (max: number, name: string) => z.string().trim().max(max, `Keep the ${name} under ${max.toLocaleString('en-US')} characters.`).optional().default('');

/**
 * An entry as typed. Everything may be blank (a draft keeps whatever was typed); what is typed
 * must be well-formed. Completeness is checked only on submit (missingForSubmit).
 */
export const entryFormSchema = z.object({
  entryId: z.preprocess(blank, objectId.optional()),
  version: optionalFormNumber('Reload the page and try again.', (n) => n.int().min(1)),
  intent: z.enum(['draft', 'submit']).default('draft'),
  /** Random per rendered form: a form sent twice (browser Back, a double click) makes one entry. */
  formToken: z.preprocess(blank, z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'Reload the page and try again.').optional()),
  date: z.preprocess(blank, entryDate.optional()),
  hours: optionalFormNumber('Hours must be a number, e.g. 1.5.', (n) => n.min(0, 'Hours cannot be negative.').max(24, 'At most 24 hours in one entry.')),
  siteId: z.preprocess(blank, z.string().regex(/^[a-f0-9]{24}$/, 'Unknown site.').optional()),
  siteName: text(200, 'site name'),
  siteDistrict: text(200, 'district'),
  gradeBand: z.preprocess(blank, z.enum(Object.keys(GRADE_BANDS) as [string, ...string[]], { errorMap: () => ({ message: 'Choose a level.' }) }).optional()),
  populations: list(z.enum(Object.keys(POPULATIONS) as [string, ...string[]], { errorMap: () => ({ message: 'Unknown population.' }) })),
  category: z.preprocess(blank, z.enum(Object.keys(ACTIVITY_CATEGORIES) as [string, ...string[]], { errorMap: () => ({ message: 'Choose a category.' }) }).optional()),
  standards: list(z.string().max(40)),
  description: text(4000, 'description'),
  reflection: text(8000, 'reflection'),
  mentorName: text(200, 'mentor name'),
  mentorEmail: z.preprocess(blank, z.string().trim().email('Enter the mentor’s email address.').max(320).optional()),
});
export type EntryForm = z.infer<typeof entryFormSchema>;

/** The plain sentence for a date outside the activity's term (either end may be open). */
export function outsideTermMessage(term: Term): string {
  if (term.start && term.end) return `The date must be between ${longDate(term.start)} and ${longDate(term.end)}, the term of this activity.`;
  if (term.start) return `The date must be on or after ${longDate(term.start)}, when the term of this activity starts.`;
  return `The date must be on or before ${longDate(term.end ?? '')}, when the term of this activity ends.`;
}

/**
 * What an entry still lacks before it can be submitted (per-field messages). With the activity's
 * term, a date outside it is refused here, where it can still be corrected, rather than only shown
 * later as hours that do not count.
 */
export function missingForSubmit(
  entry: { date: string | null; minutes: number; site: { name: string; gradeBand: string | null }; category: string | null; standards: string[]; description: string },
  today: string,
  term: Term | null = null,
): FieldErrors {
  const errors: FieldErrors = {};
  if (!entry.date) errors.date = 'Add the date.';
  else if (entry.date > today) errors.date = 'The date is in the future.';
  else if (term && ((term.start && entry.date < term.start) || (term.end && entry.date > term.end))) {
    errors.date = outsideTermMessage(term);
  }
  if (!(entry.minutes > 0)) errors.hours = 'Add how long you worked.';
  if (!entry.site.name.trim()) errors.siteName = 'Add the site.';
  if (!entry.site.gradeBand) errors.gradeBand = 'Choose the level.';
  if (!entry.category) errors.category = 'Choose a category.';
  if (entry.standards.length === 0) errors.standards = 'Tag at least one standard this evidences.';
  if (entry.description.trim().length < 10) errors.description = 'Describe what you did (at least 10 characters).';
  return errors;
}

/** "id:version" pairs from a batch form's checkboxes; the version guards against stale pages. */
export const batchSchema = z.object({
  entries: list(z.string().regex(/^[a-f0-9]{24}:\d{1,9}$/, 'Select entries from the list.')).pipe(z.array(z.string()).min(1, 'Select at least one entry.').max(200, 'At most 200 entries at once.')),
  comment: text(2000, 'comment'),
});

export function parseBatch(values: string[]): { id: string; version: number }[] {
  return values.map((v) => {
    const [id, version] = v.split(':');
    return { id, version: Number(version) };
  });
}

export const returnSchema = batchSchema.extend({ comment: z.string().trim().min(1, 'Say what needs to change.').max(2000, 'Keep the comment under 2,000 characters.') });

export const queueFilterSchema = z.object({
  status: z.preprocess(blank, z.enum(['draft', 'submitted', 'verified', 'approved', 'returned']).optional()),
  candidate: z.preprocess(blank, z.string().max(255).optional()),
});

/** Naming a mentor (candidate) or reassigning one (faculty: `candidate` names whose). */
export { mentorFormSchema, type MentorForm } from '../courses/course-mentor.schemas';

/** "Send a new link" to the mentor already named. */
export const mentorResendSchema = z.object({ candidate: z.preprocess(blank, z.string().max(255).optional()) });
