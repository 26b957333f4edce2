/**
 * Course membership records: from each launch (the person as the LMS describes them now) and from
 * the LMS roster (NRPS) on faculty launch — at most every ROSTER_REFRESH_MS per course — or when
 * faculty ask. Writes are upserts by _id (idempotent; a repeated or lost step cannot make them wrong).
 */
import type { Caller } from '../lti/caller';
import type { LtiIdToken, NrpsMember } from '../lti/ltijs';
import { mapRoles, type FieldbookRole } from '../lti/roles';
import { fetchRoster, describePlatformError } from '../grading/score.service';
import { isDuplicateKeyError } from '../platform/errors';
import { CourseMembershipModel, CourseModel, courseId, membershipId, type CourseMembership } from './course-membership.model';

export const ROSTER_REFRESH_MS = 10 * 60_000;

async function upsert(model: typeof CourseMembershipModel | typeof CourseModel, _id: string, update: Record<string, unknown>): Promise<void> {
  const write = () => (model as typeof CourseModel).updateOne({ _id }, update, { upsert: true });
  try {
    await write();
  } catch (err) {
    // FerretDB upserts are query-then-insert: a concurrent first write loses the insert; retry as update.
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}

/** The launching person's membership of the launch's course (nothing without a course). */
export async function recordLaunchMembership(caller: Caller, now = new Date()): Promise<void> {
  if (!caller.contextId) return;
  await upsert(CourseMembershipModel, membershipId(caller.iss, caller.clientId, caller.contextId, caller.sub), {
    $set: { iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId, sub: caller.sub, name: caller.name, email: caller.email, roles: caller.roles, menteeSubs: caller.menteeSubs, isTestUser: caller.isTestUser, status: 'active', lastLaunchAt: now },
  });
}

function memberName(m: NrpsMember): string {
  return m.name || [m.given_name, m.family_name].filter(Boolean).join(' ');
}

/**
 * Reads the course roster from the LMS and records every member. Skipped when it was read less
 * than ROSTER_REFRESH_MS ago (unless `force`) or the launch offers no roster service.
 * Returns the number of members recorded, or null when nothing was read.
 */
export async function syncCourseRoster(token: LtiIdToken, caller: Caller, options: { force?: boolean; now?: Date } = {}): Promise<number | null> {
  if (!caller.contextId || !token.platformContext.namesRoles?.context_memberships_url) return null;
  const now = options.now ?? new Date();
  const id = courseId(caller.iss, caller.clientId, caller.contextId);
  const course = await CourseModel.findOne({ _id: id }).lean();
  if (!options.force && course?.rosterSyncedAt && now.getTime() - course.rosterSyncedAt.getTime() < ROSTER_REFRESH_MS) return null;
  let members: NrpsMember[];
  try {
    members = await fetchRoster(token, { fresh: options.force });
  } catch (err) {
    await upsert(CourseModel, id, { $set: { iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId, title: caller.contextTitle, rosterError: describePlatformError(err).reason } });
    throw err;
  }
  for (const m of members) {
    if (!m.user_id) continue;
    const mapped = mapRoles({ roles: m.roles ?? [] });
    await upsert(CourseMembershipModel, membershipId(caller.iss, caller.clientId, caller.contextId, m.user_id), {
      $set: { iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId, sub: m.user_id, roles: mapped.roles, isTestUser: mapped.isTestUser, status: (m.status ?? 'Active') === 'Active' ? 'active' : 'inactive', lastRosterAt: now },
      // A launch's own name and email are fresher than the roster's; fill them only when unknown.
      $setOnInsert: { name: memberName(m), email: m.email ?? '' },
    });
  }
  // People the roster no longer lists have left the course.
  await CourseMembershipModel.updateMany({ iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId, lastRosterAt: { $lt: now } }, { $set: { status: 'inactive' } });
  await upsert(CourseModel, id, { $set: { iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId, title: caller.contextTitle, rosterSyncedAt: now, rosterError: null } });
  return members.length;
}

/** Active members of a course holding `role` (e.g. every candidate, launched or not). */
export async function listCourseMembers(course: { iss: string; clientId: string; contextId: string | null }, role: FieldbookRole): Promise<CourseMembership[]> {
  if (!course.contextId) return [];
  const all = await CourseMembershipModel.find({ iss: course.iss, clientId: course.clientId, contextId: course.contextId }).sort({ name: 1 }).limit(2000).lean<CourseMembership[]>();
  return all.filter((m) => m.status === 'active' && m.roles.includes(role));
}
