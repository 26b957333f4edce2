import type { z } from 'zod';

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
