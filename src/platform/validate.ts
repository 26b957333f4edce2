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

/**
 * A number typed in a form field: blank is "missing" (requiredMessage), never 0 — z.coerce.number
 * turns '' into 0 and would send a grade of 0 for an empty Points field.
 */
export function formNumber(messages: { required: string; invalid: string }) {
  return z.preprocess(
    (v) => (v === undefined || v === null || (typeof v === 'string' && v.trim() === '') ? undefined : typeof v === 'string' ? Number(v.trim()) : v),
    z.number({ required_error: messages.required, invalid_type_error: messages.invalid }),
  );
}
