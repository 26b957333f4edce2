import { z } from 'zod';

export interface FieldErrors {
  [field: string]: string;
}

/** Parses input; on failure returns per-field messages so a form can re-render with what was typed. */
export function parseForm<T extends z.ZodTypeAny>(schema: T, input: unknown): { ok: true; value: z.infer<T> } | { ok: false; errors: FieldErrors } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_form';
    if (!errors[key]) errors[key] = issue.message;
  }
  return { ok: false, errors };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * What a number field holds: a number, a decimal string, or nothing (blank). Anything else is left
 * for z.number to refuse as the wrong type — never passed to Number(): a JSON body can carry
 * `{"toString": 1}`, on which Number() and String() throw, and Number([7]) or Number(true) would
 * quietly accept an array or a boolean. Hex, octal and binary strings (Number('0x10') = 16) are
 * not what anyone types in an hours field: NaN, so the field error says "must be a number".
 */
function numberInput(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return v;
  const typed = v.trim();
  if (typed === '') return undefined;
  return DECIMAL.test(typed) ? Number(typed) : Number.NaN;
}

/**
 * A number typed in a form field: blank is "missing" (requiredMessage), never 0 — z.coerce.number
 * turns '' into 0 and would send a grade of 0 for an empty Points field.
 */
export function formNumber(messages: { required: string; invalid: string }) {
  return z.preprocess(numberInput, z.number({ required_error: messages.required, invalid_type_error: messages.invalid }).finite(messages.invalid));
}

/** An optional number field (blank = undefined); `rule` adds bounds, e.g. (n) => n.int().min(0). */
export function optionalFormNumber(invalid: string, rule: (n: z.ZodNumber) => z.ZodNumber = (n) => n) {
  return z.preprocess(numberInput, rule(z.number({ invalid_type_error: invalid }).finite(invalid)).optional());
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** True for YYYY-MM-DD naming a day that exists (Date.parse accepts 2026-02-30 and rolls it to March). */
export function isCalendarDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** Today (UTC) moved by whole years, as YYYY-MM-DD; a bound for calendarDate, read at each parse. */
export function yearsFromToday(years: number): () => string {
  return () => {
    const d = new Date();
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d.toISOString().slice(0, 10);
  };
}

const LONG_DATE = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });

/** "September 1, 2026" for a YYYY-MM-DD day (a calendar day, so no zone shift): messages read plainly. */
export function longDate(day: string): string {
  return isCalendarDate(day) ? LONG_DATE.format(new Date(`${day}T00:00:00Z`)) : day;
}

/**
 * A real calendar date (YYYY-MM-DD) between `min` and `max` inclusive. Bounds keep typos and
 * probes (0000-01-01, 9999-12-31) out of spans and pace computed from dates. YYYY-MM-DD strings
 * compare in calendar order, so the bounds are compared as strings.
 */
export function calendarDate(bounds: { min: string; max: string | (() => string) }) {
  const format = 'Use a date (YYYY-MM-DD).';
  return z.string({ invalid_type_error: format }).superRefine((value, ctx) => {
    const max = typeof bounds.max === 'function' ? bounds.max() : bounds.max;
    if (!ISO_DATE.test(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: format });
    else if (!isCalendarDate(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'Use a real date: that day does not exist.' });
    else if (value < bounds.min || value > max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `The date must be between ${longDate(bounds.min)} and ${longDate(max)}.` });
  });
}

/**
 * A field's value as typed, for re-rendering a form: strings as they are, finite numbers as text,
 * anything else (objects, arrays from a JSON body) as blank — String() of a JSON object can throw
 * (`{"toString": 1}`) or recurse without end (a deeply nested array).
 */
export function typedText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** A multi-value field as typed (checkboxes): the string values among one or many. */
export function typedList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value ? [value] : [];
}
