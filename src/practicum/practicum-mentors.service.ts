/**
 * The practicum log's side of mentors: mentors are per course (src/courses/course-mentors.service.ts),
 * shared by every activity of the course; these adapt an activity to its course. Records written
 * when mentors were per practicum activity (practicum_mentors) are carried over by upgradePracticumMentors.
 */
import type { Activity } from '../activities/activity.model';
import { ActivityModel } from '../activities/activity.model';
import { CourseMentorModel, courseMentorId } from '../courses/course-mentor.model';
import { findCourseMentor, listCourseMentors, nameCourseMentor, type MentorAssignmentView, type MentorDeps } from '../courses/course-mentors.service';
import { PracticumMentorModel } from './practicum-mentor.model';

export { LINK_STATUS_LABELS, type LinkStatus, type MentorAssignmentView, type MentorDeps } from '../courses/course-mentors.service';

export interface NameMentorInput {
  activity: Activity;
  candidate: { sub: string; name: string };
  mentor: { email: string; name: string };
  actor: { sub: string; name: string; role: 'candidate' | 'faculty' };
  courseTitle: string;
  ttlHours?: number;
}

const courseOf = (activity: Activity) => ({ iss: activity.iss, clientId: activity.clientId, contextId: activity.contextId ?? null });

/** Names the candidate's mentor for the activity's course (every activity of the course shares them). */
export function nameMentor(deps: MentorDeps, input: NameMentorInput) {
  return nameCourseMentor(deps, {
    course: { ...courseOf(input.activity), title: input.courseTitle || input.activity.contextTitle || '' },
    activity: { id: String(input.activity._id), title: input.activity.title },
    candidate: input.candidate,
    mentor: input.mentor,
    actor: input.actor,
    ttlHours: input.ttlHours,
  });
}

export function listMentorAssignments(activity: Activity, candidateSubs?: string[]): Promise<MentorAssignmentView[]> {
  return listCourseMentors(courseOf(activity), candidateSubs);
}

export function findMentorAssignment(activity: Activity, candidateSub: string) {
  return findCourseMentor(courseOf(activity), candidateSub);
}

/**
 * Carries mentors named per practicum activity over to their course (idempotent: an assignment the
 * course already has is never overwritten). Returns how many were carried over.
 */
export async function upgradePracticumMentors(): Promise<number> {
  const legacy = await PracticumMentorModel.find({}).limit(10_000).lean();
  let carried = 0;
  for (const old of legacy) {
    const activity = await ActivityModel.findOne({ _id: old.activityId }).lean();
    if (!activity) continue;
    const _id = courseMentorId(activity.iss, activity.clientId, activity.contextId ?? null, old.candidateSub);
    if (await CourseMentorModel.exists({ _id })) continue;
    await CourseMentorModel.create({
      _id,
      iss: activity.iss,
      clientId: activity.clientId,
      contextId: activity.contextId ?? null,
      courseTitle: activity.contextTitle ?? '',
      candidateSub: old.candidateSub,
      candidateName: old.candidateName,
      mentor: old.mentor,
      linkJti: old.linkJti,
      namedBy: old.namedBy,
      namedAt: old.namedAt,
    }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 11000 && (err as { code?: number }).code !== 1) throw err;
    });
    carried += 1;
  }
  return carried;
}
