/**
 * Mentors of a practicum activity who act through an emailed link (no LMS account).
 * The candidate names their mentor; faculty can reassign. Naming, changing or asking for a new link
 * revokes every earlier link of that (activity, candidate) — which ends their sessions — and emails
 * a fresh single-use link (sendMentorInvite). Each step is recorded in access_audit.
 */
import type { Activity } from '../activities/activity.model';
import { AccessLinkModel } from '../access/access-link.model';
import { recordAccessEvent, revokeAccessLink, sendMentorInvite } from '../access';
import type { AppConfig } from '../platform/config';
import type { Mailer } from '../platform/mailer';
import { formatUtc } from '../access/access.presenter';
import { PracticumMentorModel, type PracticumMentorAssignment } from './practicum-mentor.model';

export interface MentorDeps {
  config: Pick<AppConfig, 'publicUrl' | 'lti'>;
  mailer: Mailer;
}

export interface NameMentorInput {
  activity: Activity;
  candidate: { sub: string; name: string };
  mentor: { email: string; name: string };
  /** Who named the mentor: the candidate, or faculty reassigning. */
  actor: { sub: string; name: string; role: 'candidate' | 'faculty' };
  courseTitle: string;
  ttlHours?: number;
}

export type LinkStatus = 'invited' | 'used' | 'expired' | 'revoked' | 'none';

export const LINK_STATUS_LABELS: Record<LinkStatus, string> = {
  invited: 'Invited — the link has not been opened yet',
  used: 'Link used — your mentor has signed in',
  expired: 'Link expired — send a new link',
  revoked: 'Link withdrawn — send a new link',
  none: 'No link sent yet',
};

/**
 * Names (or renames, or re-invites) the mentor of a candidate and emails a new link. The mail is
 * sent before the assignment changes: when it cannot be sent, the earlier mentor and link stay.
 */
export async function nameMentor(deps: MentorDeps, input: NameMentorInput): Promise<PracticumMentorAssignment> {
  const activityId = String(input.activity._id);
  const email = input.mentor.email.trim().toLowerCase();
  const name = input.mentor.name.trim() || email;
  const by = { sub: input.actor.sub, name: input.actor.name || input.actor.sub };
  const sent = await sendMentorInvite(deps, {
    mentor: { email, name },
    candidate: input.candidate,
    activity: { id: activityId, title: input.activity.title },
    courseTitle: input.courseTitle,
    iss: input.activity.iss,
    invitedBy: by,
    ttlHours: input.ttlHours,
  });
  // Everything older than the link just sent goes (the new one stays live).
  const older = await AccessLinkModel.find({ 'scope.iss': input.activity.iss, 'scope.activityId': activityId, 'scope.candidateSub': input.candidate.sub, revokedAt: null, jti: { $ne: sent.jti } }, { jti: 1 }).lean();
  for (const link of older) await revokeAccessLink(link.jti, by);

  const now = new Date();
  const assignment = await PracticumMentorModel.findOneAndUpdate(
    { activityId, candidateSub: input.candidate.sub },
    {
      $set: {
        iss: input.activity.iss,
        contextId: input.activity.contextId ?? null,
        candidateName: input.candidate.name,
        mentor: { email, name },
        linkJti: sent.jti,
        namedBy: { ...by, role: input.actor.role },
        namedAt: now,
      },
    },
    { upsert: true, new: true },
  ).lean();
  await recordAccessEvent({
    actor: { kind: 'lti', sub: by.sub, name: by.name },
    action: 'mentor.named',
    target: { linkJti: sent.jti, purpose: 'mentor-verify', email, candidateSub: input.candidate.sub, activityId },
    reason: input.actor.role,
    at: now,
  });
  return assignment as PracticumMentorAssignment;
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
  expiresAt: string;
}

function statusOf(link: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date } | null, now: Date): LinkStatus {
  if (!link) return 'none';
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (link.usedAt) return 'used';
  return 'invited';
}

/** The mentors of an activity (optionally of some candidates), with the state of each newest link. */
export async function listMentorAssignments(activityId: string, candidateSubs?: string[]): Promise<MentorAssignmentView[]> {
  const filter: Record<string, unknown> = { activityId };
  if (candidateSubs) filter.candidateSub = { $in: candidateSubs };
  const assignments = await PracticumMentorModel.find(filter).sort({ candidateName: 1 }).limit(1000).lean();
  const jtis = assignments.map((a) => a.linkJti).filter((j): j is string => Boolean(j));
  const links = new Map((await AccessLinkModel.find({ jti: { $in: jtis } }).lean()).map((l) => [l.jti, l]));
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
      expiresAt: link ? formatUtc(link.expiresAt) : '',
    };
  });
}

export async function getMentorAssignment(activityId: string, candidateSub: string): Promise<MentorAssignmentView | null> {
  return (await listMentorAssignments(activityId, [candidateSub]))[0] ?? null;
}
