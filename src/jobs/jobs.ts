/**
 * The jobs Fieldbook runs on the shared scheduler: each activity kind's (reconciliation of its
 * derived records, later reminders and digests) and the grade outbox's own.
 */
import type { KindDeps } from '../activities/activity-kind';
import { ACTIVITY_KINDS } from '../activities/registry';
import { requeueStuckGrades } from '../grading/outbox.service';
import type { Job } from './scheduler';

export function allJobs(deps: KindDeps): Job[] {
  return [
    ...ACTIVITY_KINDS.flatMap((kind) => kind.jobs?.(deps) ?? []),
    // Grades that should be in the LMS but wait behind a claim a stopped sender left.
    { name: 'requeue-stuck-grades', everyMs: 60_000, run: async (now) => ({ requeued: await requeueStuckGrades(now) }) },
  ];
}
