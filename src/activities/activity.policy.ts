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
