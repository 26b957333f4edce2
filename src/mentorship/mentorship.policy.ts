/**
 * Who may see and change check-ins and goals. Route gates are coarse; these rules decide each
 * record, and checkInScope turns them into the list query, so nothing wider is ever loaded. The
 * pulse has its own rule: the candidate and faculty see it; a mentor only when the candidate
 * shared it; coordinators see only that a flag was raised.
 */
import type { Types } from 'mongoose';
import { isMentorOf, isOwner, teachesCourse, viewFor, type ActivityActor, type CourseView, type ExternalActor } from '../activities/activity.policy';
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

export function externalScope(actor: ExternalMentor, activity: ActivityRef): Record<string, unknown> {
  if (actor.scope.activityId !== String(activity._id)) return { _id: { $in: [] } };
  return { activityId: activity._id, iss: activity.iss, candidateSub: { $in: actor.scope.candidateSubs }, status: { $ne: 'draft' } };
}

/** May this actor read this candidate's check-ins? (a candidate their own, a mentor their mentees', faculty and coordinators the course's) */
export function canReadCandidate(actor: MentorshipActor, activity: ActivityRef, candidateSub: string): boolean {
  const record = { activityId: activity._id, iss: activity.iss, contextId: activity.contextId, candidateSub };
  if (actor.kind === 'external') return isMentorOf(actor, record);
  const view = viewFor(actor.caller, activity);
  return view === 'faculty' || view === 'coordinator' || (view === 'mentor' && isMentorOf(actor, record)) || (view === 'candidate' && isOwner(actor.caller, record));
}

/** Per-record check before a change; throws 403 when the actor may not act so on this record. */
export function authorizeCheckIn(actor: MentorshipActor, role: MentorshipRole, record: CandidateRecord): void {
  const allowed = role === 'candidate' ? actor.kind === 'lti' && isOwner(actor.caller, record) : role === 'mentor' ? isMentorOf(actor, record) : actor.kind === 'lti' && teachesCourse(actor.caller, record);
  if (!allowed) throw forbidden('mentorship_checkin_forbidden', 'You cannot change this check-in.');
}

/** Whether this viewer sees the pulse's answers (not only its flag). */
export function canSeePulse(view: CourseView | 'external', pulse: { isSharedWithMentor?: boolean | null } | null | undefined): boolean {
  if (!pulse) return false;
  if (view === 'candidate' || view === 'faculty') return true;
  if (view === 'mentor' || view === 'external') return Boolean(pulse.isSharedWithMentor);
  return false;
}
