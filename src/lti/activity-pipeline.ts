/**
 * The one request pipeline for activity routes: LTI session → caller → role gate → the activity
 * of this kind within the caller's platform and course → validate(schema) → handler. Handlers get
 * everything resolved and never repeat these steps.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { ActivityRequest } from '../activities/activity-kind';
import { requestedActivityId, resolveActivity } from '../activities/activity.service';
import { wrap } from '../platform/async-handler';
import { badRequest, conflict, notFound } from '../platform/errors';
import { parseForm, type FieldErrors } from '../platform/validate';
import { ltikOf, requireCaller, requireRole } from './caller';
import type { LtiIdToken } from './ltijs';
import type { FieldbookRole } from './roles';

export interface ActivityRouteSpec<S extends z.ZodTypeAny> {
  /** Only activities of this kind (others answer 404). */
  kind?: string;
  /** Coarse role gate; per-record rules stay in the feature's policy. */
  roles: FieldbookRole[];
  schema?: S;
  /** Where the input comes from (default: the body for POST, the query otherwise). */
  input?: 'body' | 'query';
  /** Answers a failed validation, e.g. re-rendering the form with what was typed (default: 400 with the field errors). */
  invalid?: (request: ActivityRequest, errors: FieldErrors, req: Request, res: Response) => Promise<void>;
}

export type ActivityHandler<T> = (request: ActivityRequest & { input: T }, req: Request, res: Response) => Promise<void>;

/** The caller and activity of a request, or the AppError that explains why there is none. */
export async function activityRequestOf(req: Request, res: Response, roles: FieldbookRole[], kind?: string): Promise<ActivityRequest> {
  const caller = requireCaller(res);
  requireRole(caller, roles);
  const resolved = await resolveActivity(caller, requestedActivityId(req));
  if (resolved.state === 'copy-pending') throw conflict('activity_not_set_up', 'This activity has not been set up for this course yet. Faculty set it up by opening it once.');
  if (resolved.state === 'none' || (kind && resolved.activity.type !== kind)) {
    throw notFound('activity_not_found', 'This activity was not found in this course. Open it again from your course.');
  }
  return { caller, token: res.locals.token as LtiIdToken, ltik: ltikOf(req, res), activity: resolved.activity };
}

export function activityRoute<S extends z.ZodTypeAny>(spec: ActivityRouteSpec<S>, handler: ActivityHandler<z.infer<S>>): RequestHandler {
  return wrap(async (req, res) => {
    const request = await activityRequestOf(req, res, spec.roles, spec.kind);
    let input: z.infer<S> = undefined as z.infer<S>;
    if (spec.schema) {
      const source = (spec.input ?? (req.method === 'POST' ? 'body' : 'query')) === 'body' ? req.body : req.query;
      const parsed = parseForm(spec.schema, source ?? {});
      if (!parsed.ok) {
        if (spec.invalid) return spec.invalid(request, parsed.errors, req, res);
        throw badRequest('invalid_input', Object.values(parsed.errors).join(' '), { fields: parsed.errors });
      }
      input = parsed.value;
    }
    await handler({ ...request, input }, req, res);
  });
}
