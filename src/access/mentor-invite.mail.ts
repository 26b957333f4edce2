import type { AppConfig } from '../platform/config';
import type { Mailer } from '../platform/mailer';
import { recordAccessEvent } from './access-audit.service';
import { issueAccessLink, revokeAccessLink, type AccessScope, type IssuedAccessLink } from './access-link.service';
import { formatUtc } from './access.presenter';

export interface MentorInviteContent {
  mentorName: string;
  candidateName: string;
  activityTitle: string;
  courseTitle: string;
  url: string;
  expiresAt: Date;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
/** Titles come from the LMS: keep them on one line in headers and plain text. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

export const MAIL_NAME_MAX_LENGTH = 80;

/**
 * A person's name as mail text. The mentor's name is typed by the candidate, and mail clients turn
 * anything that looks like an address into a link whatever the escaping, so a "name" such as
 * "Click www.example.net" would arrive as a link under Fieldbook's sender. Drops URLs, `www.`
 * hosts and @ sequences, breaks bare domain names ("example.net" → "example. net"), keeps one line
 * of at most MAIL_NAME_MAX_LENGTH characters. Compatibility forms (full-width letters and dots) are
 * folded first and invisible format characters removed, so neither can hide a link from the rules.
 */
export function plainName(raw: string): string {
  const folded = raw
    .normalize('NFKC')
    .replace(/[\u3002\uFF61]/g, '.')
    .replace(/\p{Cf}+/gu, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ');
  const plain = folded
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S*/gi, ' ')
    .replace(/\b(?:mailto|tel|sms|javascript|data|file):\S*/gi, ' ')
    .replace(/\bwww\d{0,3}\.\S*/gi, ' ')
    .replace(/\S*@\S*/g, ' ')
    .replace(/([\p{L}\p{N}_-])\.(?=[\p{L}\p{N}_-]*\p{L}{2})/gu, '$1. ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(plain);
  return chars.length <= MAIL_NAME_MAX_LENGTH ? plain : `${chars.slice(0, MAIL_NAME_MAX_LENGTH - 1).join('').trimEnd()}…`;
}

/** Plain, accessible invitation: a text part that stands alone and a simple HTML part with every value escaped. */
export function buildMentorInviteMail(input: MentorInviteContent): { subject: string; text: string; html: string } {
  const mentor = plainName(input.mentorName);
  const candidateName = plainName(input.candidateName);
  const candidate = candidateName || 'your candidate';
  const Candidate = candidateName || 'Your candidate';
  const activity = oneLine(input.activityTitle);
  const course = oneLine(input.courseTitle);
  const until = formatUtc(input.expiresAt);
  const what = `${candidate}'s ${activity}${course ? ` (${course})` : ''}`;
  const subject = `Please verify ${candidate}'s ${activity} in Fieldbook`;
  const text = [
    mentor ? `Hello ${mentor},` : 'Hello,',
    '',
    `${Candidate} asked you, as their mentor, to verify their work in Fieldbook: ${what}.`,
    '',
    'Open this link to continue (no account or password needed):',
    input.url,
    '',
    `The link works once and until ${until}. If it has expired, ask ${candidate} or their instructor for a new one.`,
    'If you were not expecting this email, you can ignore it.',
    '',
    '— Fieldbook',
  ].join('\n');
  const h = escapeHtml;
  const html = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>' + h(subject) + '</title></head><body>',
    mentor ? `<p>Hello ${h(mentor)},</p>` : '<p>Hello,</p>',
    `<p>${h(Candidate)} asked you, as their mentor, to verify their work in Fieldbook: <strong>${h(what)}</strong>.</p>`,
    `<p><a href="${h(input.url)}">Open Fieldbook to verify ${h(candidate)}'s work</a> (no account or password needed).</p>`,
    `<p>The link works once and until ${h(until)}. If it has expired, ask ${h(candidate)} or their instructor for a new one.</p>`,
    '<p>If you were not expecting this email, you can ignore it.</p>',
    '<p>— Fieldbook</p>',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

export interface SendMentorInviteInput {
  mentor: { email: string; name: string };
  candidate: { sub: string; name: string };
  activity: { id: string; title: string };
  courseTitle: string;
  /** The platform (LTI issuer) the candidate and activity belong to. */
  iss: string;
  /** The course the mentor assignment is for (links from before mentors were per course have none). */
  course?: { clientId: string; contextId: string | null };
  invitedBy: { sub: string; name: string };
  ttlHours?: number;
}

/**
 * Issues a mentor-verify link and emails it. If the mail cannot be sent the link
 * is revoked (nobody holds it) and the mailer's AppError is rethrown.
 */
export async function sendMentorInvite(
  deps: { config: Pick<AppConfig, 'publicUrl' | 'lti'>; mailer: Mailer },
  input: SendMentorInviteInput,
): Promise<IssuedAccessLink & { messageId: string }> {
  const scope: AccessScope = { iss: input.iss, activityId: input.activity.id, candidateSub: input.candidate.sub, clientId: input.course?.clientId ?? null, contextId: input.course?.contextId ?? null };
  const link = await issueAccessLink(deps, {
    purpose: 'mentor-verify',
    email: input.mentor.email,
    name: input.mentor.name,
    scope,
    createdBy: input.invitedBy,
    display: { candidateName: input.candidate.name, activityTitle: input.activity.title, courseTitle: input.courseTitle },
    ttlHours: input.ttlHours,
  });
  const mail = buildMentorInviteMail({
    mentorName: input.mentor.name,
    candidateName: input.candidate.name,
    activityTitle: input.activity.title,
    courseTitle: input.courseTitle,
    url: link.url,
    expiresAt: link.expiresAt,
  });
  const target = { linkJti: link.jti, purpose: 'mentor-verify', email: input.mentor.email, candidateSub: scope.candidateSub, activityId: scope.activityId };
  const actor = { kind: 'lti' as const, sub: input.invitedBy.sub, name: input.invitedBy.name };
  try {
    const { messageId } = await deps.mailer.send({ to: input.mentor.email, ...mail });
    await recordAccessEvent({ actor, action: 'mail.sent', target });
    return { ...link, messageId };
  } catch (err) {
    await recordAccessEvent({ actor, action: 'mail.failed', target, reason: (err as { id?: string }).id ?? 'error' });
    await revokeAccessLink(link.jti, input.invitedBy);
    throw err;
  }
}
