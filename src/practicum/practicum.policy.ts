/**
 * Who may see and change practicum entries. Coarse role gates sit on the routes; these per-record
 * rules decide each entry, and entryScope turns the same rules into list queries so a list is never
 * loaded wider than the caller may see.
 */
import type { Types } from 'mongoose';
import type { Caller } from '../lti/caller';
import { forbidden } from '../platform/errors';
import { externalCandidateScope, mayActAs, mayReadCandidate, viewFor, type ActivityActor, type CourseView, type ExternalActor } from '../activities/activity.policy';

export { coordinatesProgram, isMentorOf, isOwner, teachesCourse, viewFor, type ExternalActor } from '../activities/activity.policy';
/** The practicum screen a caller gets (the course-wide view of src/activities/activity.policy.ts). */
export type PracticumView = CourseView;
import type { ActorRole } from './practicum.transitions';

interface EntryRef {
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

export type PracticumActor = ActivityActor;

/** The role a caller acts in when changing entries of this activity (null: may change none). */
export function actorRoleFor(caller: Caller, activity: ActivityRef): ActorRole | null {
  const view = viewFor(caller, activity);
  return view === 'faculty' || view === 'mentor' || view === 'candidate' ? view : null;
}

/** The entries of an activity a caller may list, as a query filter. */
export function entryScope(caller: Caller, activity: ActivityRef): Record<string, unknown> {
  const base = { activityId: activity._id, iss: activity.iss };
  switch (viewFor(caller, activity)) {
    case 'faculty':
    case 'coordinator':
      return base;
    case 'mentor':
      return { ...base, candidateSub: { $in: caller.menteeSubs }, status: { $ne: 'draft' } };
    case 'candidate':
      return { ...base, candidateSub: caller.sub };
    default:
      throw forbidden('practicum_not_allowed', 'Your role in this course does not give access to practicum logs.');
  }
}

/** The entries an external mentor may list: only the candidates named in their session, never drafts. */
export const externalEntryScope = (actor: ExternalActor, activity: ActivityRef): Record<string, unknown> => externalCandidateScope(actor, activity);

/** Per-record check before a change; throws 403 when the actor may not act on this entry. */
export function authorizeEntry(actor: PracticumActor, role: ActorRole, entry: EntryRef): void {
  if (!mayActAs(actor, role, entry)) throw forbidden('practicum_entry_forbidden', 'You cannot change this entry.');
}

/**
 * Whether an actor may read one candidate's whole log (hour log, exports): the candidate their own,
 * faculty and coordinators any candidate of their course, a mentor only their mentees. Throws 403.
 * Whether the person is a candidate of the course at all is the caller's next check (404).
 */
export function authorizeCandidateLog(actor: PracticumActor, activity: ActivityRef, candidateSub: string): void {
  if (!mayReadCandidate(actor, activity, candidateSub)) throw forbidden('practicum_log_forbidden', 'You cannot see this candidate’s practicum log.');
}
