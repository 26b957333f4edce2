import { z } from 'zod';
import { OBJECT_ID_PATTERN } from './model.util';
import { pagingSchema } from './paging.util';

export const ACTIVITY_PROGRESS = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'] as const;
export const GRADING_PROGRESS = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'] as const;

const isoWithOffset = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone offset' });

export const courseParams = z.object({ courseId: z.string().regex(OBJECT_ID_PATTERN, 'unknown course') });
export const lineItemParams = courseParams.extend({ lineItemId: z.string().regex(OBJECT_ID_PATTERN, 'unknown line item') });

export const lineItemBody = z
  .object({
    id: z.string().optional(),
    scoreMaximum: z.number({ required_error: 'scoreMaximum is required' }).finite().positive('scoreMaximum must be greater than 0'),
    label: z.string({ required_error: 'label is required' }).trim().min(1, 'label is required').max(255),
    resourceLinkId: z.string().min(1).max(255).optional(),
    resourceId: z.string().max(255).optional(),
    tag: z.string().max(255).optional(),
    startDateTime: isoWithOffset.optional(),
    endDateTime: isoWithOffset.optional(),
    gradesReleased: z.boolean().optional(),
  })
  .passthrough();
export type LineItemBody = z.infer<typeof lineItemBody>;

export const lineItemQuery = z.object({
  resource_link_id: z.string().max(255).optional(),
  resource_id: z.string().max(255).optional(),
  tag: z.string().max(255).optional(),
  ...pagingSchema(10, 100),
});

export const resultQuery = z.object({ user_id: z.string().max(255).optional(), ...pagingSchema(10, 100) });

export const scoreBody = z
  .object({
    userId: z.string({ required_error: 'userId is required' }).min(1, 'userId is required').max(255),
    scoreGiven: z.number().finite().min(0, 'scoreGiven must not be negative').nullable().optional(),
    scoreMaximum: z.number().finite().positive('scoreMaximum must be greater than 0').nullable().optional(),
    comment: z.string().max(65535).nullable().optional(),
    timestamp: z.string({ required_error: 'timestamp is required' }).pipe(isoWithOffset),
    activityProgress: z.enum(ACTIVITY_PROGRESS, { errorMap: () => ({ message: `activityProgress must be one of ${ACTIVITY_PROGRESS.join(', ')}` }) }),
    gradingProgress: z.enum(GRADING_PROGRESS, { errorMap: () => ({ message: `gradingProgress must be one of ${GRADING_PROGRESS.join(', ')}` }) }),
  })
  .passthrough();
export type ScoreBody = z.infer<typeof scoreBody>;

/** Joins zod issues into one message a developer can read in a 400 body. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
