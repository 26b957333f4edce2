/**
 * Who a caller is to an activity's records, for every kind: the candidate who owns a record,
 * faculty teaching its course, a coordinator of it, a mentor of the course. Kinds add their own
 * rules (a mentor of THIS candidate, an emailed mentor's reach) in their policy file.
 */
import type { Types } from 'mongoose';
import type { Caller } from '../lti/caller';

interface OwnedRecord {
  iss: string;
  candidateSub: string;
}

interface ActivityRef {
  _id: Types.ObjectId | string;
  iss: string;
  contextId: string | null;
}

export function isOwner(caller: Caller, entry: OwnedRecord): boolean {
  return caller.iss === entry.iss && caller.sub === entry.candidateSub;
}

export function teachesCourse(caller: Caller, record: { iss: string; contextId: string | null }): boolean {
  return caller.roles.includes('faculty') && caller.iss === record.iss && record.contextId !== null && caller.contextId === record.contextId;
}

/**
 * Coordinators see (never change) the activities of the courses where the LMS gave them that
 * role. Until programs exist, a coordinator's reach is the launch's course, never the platform.
 */
export function coordinatesProgram(caller: Caller, record: { iss: string; contextId: string | null }): boolean {
  return caller.roles.includes('coordinator') && caller.iss === record.iss && record.contextId !== null && caller.contextId === record.contextId;
}

export type CourseView = 'faculty' | 'coordinator' | 'mentor' | 'candidate' | 'none';

/** Which screen of an activity a caller gets; the most capable role wins. */
export function viewFor(caller: Caller, activity: ActivityRef): CourseView {
  if (teachesCourse(caller, activity)) return 'faculty';
  if (coordinatesProgram(caller, activity)) return 'coordinator';
  if (caller.roles.includes('mentor') && caller.iss === activity.iss && caller.contextId === activity.contextId) return 'mentor';
  if (caller.roles.includes('candidate') && caller.iss === activity.iss) return 'candidate';
  return 'none';
}


/** A mentor acting from an emailed link (src/access/**); the scope names the activity and its candidates. */
export interface ExternalActor {
  kind: 'external';
  email: string;
  name: string;
  scope: { activityId: string; candidateSubs: string[] };
}

/** Who acts on a record: an LTI caller, or an emailed mentor. */
export type ActivityActor = { kind: 'lti'; caller: Caller } | ExternalActor;

interface CandidateRecord {
  activityId: Types.ObjectId | string;
  iss: string;
  contextId: string | null;
  candidateSub: string;
}

/** An emailed mentor of this candidate in this activity, or an LMS mentor whose launch names them. */
export function isMentorOf(actor: ActivityActor, record: CandidateRecord): boolean {
  if (actor.kind === 'external') return actor.scope.activityId === String(record.activityId) && actor.scope.candidateSubs.includes(record.candidateSub);
  const c = actor.caller;
  return c.roles.includes('mentor') && c.iss === record.iss && c.contextId === record.contextId && c.menteeSubs.includes(record.candidateSub);
}

/** Whether the actor may change this record in this role: the candidate their own, a mentor their mentee's, faculty their course's. */
export function mayActAs(actor: ActivityActor, role: 'candidate' | 'mentor' | 'faculty', record: CandidateRecord): boolean {
  if (role === 'candidate') return actor.kind === 'lti' && isOwner(actor.caller, record);
  if (role === 'mentor') return isMentorOf(actor, record);
  return actor.kind === 'lti' && teachesCourse(actor.caller, record);
}

/** Whether the actor may read one candidate's records: their own, a mentee's, or any of the course's (faculty, coordinators). */
export function mayReadCandidate(actor: ActivityActor, activity: ActivityRef, candidateSub: string): boolean {
  const record = { activityId: activity._id, iss: activity.iss, contextId: activity.contextId, candidateSub };
  if (actor.kind === 'external') return isMentorOf(actor, record);
  const view = viewFor(actor.caller, activity);
  return view === 'faculty' || view === 'coordinator' || (view === 'mentor' && isMentorOf(actor, record)) || (view === 'candidate' && isOwner(actor.caller, record));
}

/** An emailed mentor's records of an activity as a query: only the candidates of their session, never drafts. */
export function externalCandidateScope(actor: ExternalActor, activity: ActivityRef): Record<string, unknown> {
  if (actor.scope.activityId !== String(activity._id)) return { _id: { $in: [] } };
  return { activityId: activity._id, iss: activity.iss, candidateSub: { $in: actor.scope.candidateSubs }, status: { $ne: 'draft' } };
}
