import type { RequestHandler } from 'express';
import { AppError, badRequest } from './errors';

/**
 * Deeper than any body or query we read: our forms are flat, the JSON bodies we take (autosave,
 * the Sandbox's AGS and registration messages) nest a few levels. A 5,000-deep array parses fine
 * but makes String() or a recursive walk overflow the stack later, in whatever touches it first.
 */
export const MAX_INPUT_DEPTH = 32;

/** C0 controls except tab, line feed and carriage return; DEL; C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex -- as above, without the global flag (test() keeps no state)
const HAS_CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function stripControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}

type Refusal = 'too-deep' | 'control-key';

/**
 * Strips control characters from every string in `container[key]` (in place) and returns the first
 * reason to refuse the input, or null. Writes go through defineProperty: a JSON body may own a
 * `__proto__` key, and assigning to it would replace the object's prototype instead.
 */
function clean(container: Record<string, unknown>, key: string, depth: number): Refusal | null {
  const value = container[key];
  if (typeof value === 'string') {
    if (HAS_CONTROL_CHARACTER.test(value)) {
      Object.defineProperty(container, key, { value: stripControlCharacters(value), writable: true, enumerable: true, configurable: true });
    }
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_INPUT_DEPTH) return 'too-deep';
  for (const inner of Object.keys(value)) {
    if (HAS_CONTROL_CHARACTER.test(inner)) return 'control-key';
    const refusal = clean(value as Record<string, unknown>, inner, depth + 1);
    if (refusal) return refusal;
  }
  return null;
}

/** A parsed body or query with control characters stripped (see inputHygiene), or why to refuse it. */
export function cleanInput(value: unknown): { value: unknown; refusal: Refusal | null } {
  const holder: Record<string, unknown> = { value };
  const refusal = clean(holder, 'value', 0);
  return { value: holder.value, refusal };
}

const refuse = (refusal: Refusal) =>
  refusal === 'too-deep'
    ? badRequest('input_too_deep', `The request nests values more than ${MAX_INPUT_DEPTH} levels deep.`)
    : badRequest('input_control_key', 'The request contains a field name with control characters.');

/**
 * Transport-level rules for every parsed body and query, before any route:
 * - nesting deeper than MAX_INPUT_DEPTH is refused (400);
 * - control characters other than tab, newline and carriage return are STRIPPED from every string
 *   value, so none is ever stored. Stripped rather than refused: they reach us in text pasted from
 *   PDFs and word processors (vertical tab, form feed, mis-decoded C1 bytes), carry no meaning in
 *   any field Fieldbook keeps, and refusing here would throw away the whole form at a bare error
 *   page instead of keeping what was typed. NUL also truncates text in C-string consumers (CSV
 *   exports, LMS gradebook comments, mail). Field names are never typed by people, so a name with a
 *   control character is refused instead of rewritten (rewriting could make two fields one).
 * Field rules (types, ranges, dates) stay in each route's schema.
 */
export const inputHygiene: RequestHandler = (req, _res, next) => {
  const body = cleanInput(req.body);
  const query = cleanInput(req.query);
  const refusal = body.refusal ?? query.refusal;
  if (refusal) return next(refuse(refusal));
  req.body = body.value;
  req.query = query.value as typeof req.query;
  next();
};

const READ_TYPES = ['application/x-www-form-urlencoded', 'application/json', 'application/*+json'];

/**
 * Refuses (415) a non-empty body of a type our parsers did not read. Mounted in front of ltijs: its
 * sub-app parses bodies again (text/plain, application/octet-stream) and would hand a string or a
 * Buffer to routes that expect a form — a Buffer even passes for an object with every field blank.
 */
export const refuseUnreadBodies: RequestHandler = (req, _res, next) => {
  const length = req.headers['content-length'];
  const hasContent = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
  if (hasContent && !req.is(READ_TYPES)) return next(new AppError(415, 'unsupported_body', 'Fieldbook reads forms and JSON only.'));
  next();
};
