/**
 * Mentors per course, acting through an emailed link (no LMS account). The candidate names their
 * mentor; faculty can reassign. Naming, changing or asking for a new link revokes every earlier link
 * of that (course, candidate) — which ends their sessions — and emails a fresh single-use link.
 *
 * One link, one session, every candidate: a session opened from any of a mentor's links reaches
 * the candidates whose CURRENT assignment names that mentor's email on that platform (mentoredBy),
 * read again on every request — a reassignment takes a candidate out of the session at once.
 */
import { AccessLinkModel } from '../access/access-link.model';
import { recordAccessEvent, revokeAccessLink, sendMentorInvite } from '../access';
import type { AppConfig } from '../platform/config';
import type { Mailer } from '../platform/mailer';
import { isDuplicateKeyError } from '../platform/errors';
import { CourseMentorModel, courseMentorId, type CourseMentorAssignment } from './course-mentor.model';
import { inviteLimitError, reserveMentorInvite } from './mentor-invite-limits';

export interface MentorDeps {
  config: Pick<AppConfig, 'publicUrl' | 'lti' | 'mentorInvites'>;
  mailer: Mailer;
}

export interface CourseRef {
  iss: string;
  clientId: string;
  contextId: string | null;
}

export interface NameMentorInput {
  course: CourseRef & { title: string };
  /** The activity the mentor was named from: the link's landing page names it. */
  activity: { id: string; title: string };
  candidate: { sub: string; name: string };
  mentor: { email: string; name: string };
  /** Who named the mentor: the candidate, or faculty reassigning. */
  actor: { sub: string; name: string; role: 'candidate' | 'faculty' };
  ttlHours?: number;
}

export type LinkStatus = 'invited' | 'used' | 'expired' | 'revoked' | 'none';

export const LINK_STATUS_LABELS: Record<LinkStatus, string> = {
  invited: 'Invited — the link has not been opened yet',
  used: 'Link used — the mentor has signed in',
  expired: 'Link expired — send a new link',
  revoked: 'Link withdrawn — send a new link',
  none: 'No link sent yet',
};

/**
 * Names (or renames, or re-invites) the mentor of a candidate in a course and emails a new link.
 * The mail is sent before the assignment changes: when it cannot be sent, the earlier mentor and
 * link stay. Mail goes to an address the caller typed, so it is counted against the invitation
 * limits first; at a limit nothing is sent or changed and the 429 is audited.
 */
export async function nameCourseMentor(deps: MentorDeps, input: NameMentorInput): Promise<CourseMentorAssignment> {
  const { course } = input;
  const email = input.mentor.email.trim().toLowerCase();
  const name = input.mentor.name.trim() || email;
  const by = { sub: input.actor.sub, name: input.actor.name || input.actor.sub };
  const auditTarget = { purpose: 'mentor-verify', email, candidateSub: input.candidate.sub, activityId: input.activity.id };
  const reservation = await reserveMentorInvite(deps.config.mentorInvites, course, input.actor.role === 'candidate' ? input.candidate.sub : null);
  if (!reservation.isReserved) {
    await recordAccessEvent({ actor: { kind: 'lti', sub: by.sub, name: by.name }, action: 'mail.limited', target: auditTarget, reason: reservation.window.kind });
    throw inviteLimitError(reservation.window);
  }
  let sent: Awaited<ReturnType<typeof sendMentorInvite>>;
  try {
    sent = await sendMentorInvite(deps, {
      mentor: { email, name },
      candidate: input.candidate,
      activity: input.activity,
      courseTitle: course.title,
      iss: course.iss,
      course: { clientId: course.clientId, contextId: course.contextId },
      invitedBy: by,
      ttlHours: input.ttlHours,
    });
  } catch (err) {
    // Nothing reached anyone: the attempt does not count.
    await reservation.release();
    throw err;
  }
  // Every earlier link of this candidate in this course goes (the new one stays live); links issued
  // before mentors were per course are found by their activity.
  const older = await AccessLinkModel.find({ 'scope.iss': course.iss, 'scope.candidateSub': input.candidate.sub, revokedAt: null, jti: { $ne: sent.jti } }, { jti: 1, scope: 1 }).lean();
  for (const link of older) {
    const sameCourse = link.scope.contextId !== undefined && link.scope.contextId !== null ? link.scope.contextId === course.contextId && link.scope.clientId === course.clientId : link.scope.activityId === input.activity.id;
    if (sameCourse) await revokeAccessLink(link.jti, by);
  }
  const now = new Date();
  const _id = courseMentorId(course.iss, course.clientId, course.contextId, input.candidate.sub);
  const fields = {
    iss: course.iss,
    clientId: course.clientId,
    contextId: course.contextId,
    courseTitle: course.title,
    candidateSub: input.candidate.sub,
    candidateName: input.candidate.name,
    mentor: { email, name },
    linkJti: sent.jti,
    namedBy: { ...by, role: input.actor.role },
    namedAt: now,
  };
  // Subdocuments by dotted path: the embedded FerretDB skips a $set of a subdocument whose values
  // equal the old one's under other keys (see progress-store.ts).
  const { mentor, namedBy, ...flat } = fields;
  const write = () => CourseMentorModel.updateOne({ _id }, { $set: { ...flat, 'mentor.email': mentor.email, 'mentor.name': mentor.name, 'namedBy.sub': namedBy.sub, 'namedBy.name': namedBy.name, 'namedBy.role': namedBy.role } }, { upsert: true });
  try {
    await write();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
  await recordAccessEvent({
    actor: { kind: 'lti', sub: by.sub, name: by.name },
    action: 'mentor.named',
    target: { linkJti: sent.jti, ...auditTarget },
    reason: input.actor.role,
    at: now,
  });
  return { _id, ...fields };
}

export interface MentorAssignmentView {
  candidateSub: string;
  candidateName: string;
  name: string;
  email: string;
  status: LinkStatus;
  statusLabel: string;
  namedBy: string;
  namedByRole: string;
  /** When an unused link stops working (null without a link); shown in the reader's zone. */
  expiresAt: Date | null;
}

function statusOf(link: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date } | null, now: Date): LinkStatus {
  if (!link) return 'none';
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (link.usedAt) return 'used';
  return 'invited';
}

export async function findCourseMentor(course: CourseRef, candidateSub: string): Promise<CourseMentorAssignment | null> {
  return CourseMentorModel.findOne({ _id: courseMentorId(course.iss, course.clientId, course.contextId, candidateSub) }).lean();
}

/** The mentors of a course (optionally of some candidates), with the state of each newest link. */
export async function listCourseMentors(course: CourseRef, candidateSubs?: string[]): Promise<MentorAssignmentView[]> {
  const assignments = candidateSubs
    ? (await Promise.all(candidateSubs.map((sub) => findCourseMentor(course, sub)))).filter((a): a is CourseMentorAssignment => a !== null)
    : await CourseMentorModel.find({ iss: course.iss, clientId: course.clientId, contextId: course.contextId }).sort({ candidateName: 1 }).limit(1000).lean();
  const jtis = assignments.map((a) => a.linkJti).filter((j): j is string => Boolean(j));
  const links = new Map((jtis.length ? await AccessLinkModel.find({ jti: { $in: jtis } }).lean() : []).map((l) => [l.jti, l]));
  const now = new Date();
  return assignments.map((a) => {
    const link = a.linkJti ? (links.get(a.linkJti) ?? null) : null;
    const status = statusOf(link, now);
    return {
      candidateSub: a.candidateSub,
      candidateName: a.candidateName || a.candidateSub,
      name: a.mentor.name,
      email: a.mentor.email,
      status,
      statusLabel: LINK_STATUS_LABELS[status],
      namedBy: a.namedBy.name,
      namedByRole: a.namedBy.role,
      expiresAt: link ? link.expiresAt : null,
    };
  });
}

/** Every candidate (in every course of the platform) whose current mentor is this email. */
export async function mentoredBy(iss: string, email: string): Promise<CourseMentorAssignment[]> {
  return CourseMentorModel.find({ iss, 'mentor.email': email.trim().toLowerCase() }).sort({ courseTitle: 1, candidateName: 1 }).limit(500).lean();
}
