/**
 * Who may see and change check-ins and goals. Route gates are coarse; these rules decide each
 * record, and checkInScope turns them into the list query, so nothing wider is ever loaded. The
 * pulse has its own rule: the candidate and faculty see it; a mentor only when the candidate
 * shared it; coordinators see only that a flag was raised.
 */
import type { Types } from 'mongoose';
import { externalCandidateScope, mayActAs, mayReadCandidate, viewFor, type ActivityActor, type CourseView, type ExternalActor } from '../activities/activity.policy';
import type { Caller } from '../lti/caller';
import { forbidden } from '../platform/errors';

interface CandidateRecord {
  activityId: Types.ObjectId | string;
  iss: string;
  contextId: string | null;
  candidateSub: string;
}

interface ActivityRef {
  _id: Types.ObjectId | string;
  iss: string;
  contextId: string | null;
}


export type ExternalMentor = ExternalActor;
export type MentorshipActor = ActivityActor;
export type MentorshipRole = 'candidate' | 'mentor' | 'faculty';

export const mentorshipView = (caller: Caller, activity: ActivityRef): CourseView => viewFor(caller, activity);

/** The role a caller acts in on this activity's check-ins (null: may change none). */
export function actingRole(caller: Caller, activity: ActivityRef): MentorshipRole | null {
  const view = viewFor(caller, activity);
  return view === 'faculty' || view === 'mentor' || view === 'candidate' ? view : null;
}

/** The check-ins (and goals) a caller may list, as a query filter. */
export function checkInScope(caller: Caller, activity: ActivityRef): Record<string, unknown> {
  const base = { activityId: activity._id, iss: activity.iss };
  switch (viewFor(caller, activity)) {
    // Drafts are the candidate's own until planned or recorded.
    case 'faculty':
    case 'coordinator':
      return { ...base, status: { $ne: 'draft' } };
    case 'mentor':
      return { ...base, candidateSub: { $in: caller.menteeSubs }, status: { $ne: 'draft' } };
    case 'candidate':
      return { ...base, candidateSub: caller.sub };
    default:
      throw forbidden('mentorship_not_allowed', 'Your role in this course does not give access to mentorship check-ins.');
  }
}

export const externalScope = (actor: ExternalMentor, activity: ActivityRef): Record<string, unknown> => externalCandidateScope(actor, activity);

/** May this actor read this candidate's check-ins? (a candidate their own, a mentor their mentees', faculty and coordinators the course's) */
export const canReadCandidate = (actor: MentorshipActor, activity: ActivityRef, candidateSub: string): boolean => mayReadCandidate(actor, activity, candidateSub);

/** Per-record check before a change; throws 403 when the actor may not act so on this record. */
export function authorizeCheckIn(actor: MentorshipActor, role: MentorshipRole, record: CandidateRecord): void {
  if (!mayActAs(actor, role, record)) throw forbidden('mentorship_checkin_forbidden', 'You cannot change this check-in.');
}

/** Whether this viewer sees the pulse's answers (not only its flag). */
export function canSeePulse(view: CourseView | 'external', pulse: { isSharedWithMentor?: boolean | null } | null | undefined): boolean {
  if (!pulse) return false;
  if (view === 'candidate' || view === 'faculty') return true;
  if (view === 'mentor' || view === 'external') return Boolean(pulse.isSharedWithMentor);
  return false;
}
