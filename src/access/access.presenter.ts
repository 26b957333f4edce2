import type { AppError } from '../platform/errors';
import type { AccessLinkView } from './access-link.service';
import type { ExternalSession } from './external-session.service';

/** For emails, which have no script to show the reader's zone; pages use {{localTime}} instead. */
const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
export const formatUtc = (d: Date) => `${dateTime.format(d)} UTC`;

export function presentLanding(link: AccessLinkView, token: string) {
  return {
    title: 'Your Fieldbook invitation',
    token,
    name: link.name,
    invitedBy: link.invitedBy,
    candidateName: link.candidateName,
    activityTitle: link.activityTitle,
    courseTitle: link.courseTitle,
    // A Date: the view renders it with {{localTime}} in the reader's zone (never as UTC).
    expiresAt: link.expiresAt,
  };
}

export function presentHome(session: ExternalSession) {
  return {
    title: 'Fieldbook for mentors',
    s: session.token,
    name: session.name,
    email: session.email,
    invitedBy: session.invitedBy,
    sessionEndsAt: session.expiresAt,
    // One candidate per link for now; the practicum screens extend this list.
    candidates: [
      {
        name: session.display.candidateName || 'Your candidate',
        activityTitle: session.display.activityTitle,
        courseTitle: session.display.courseTitle,
      },
    ],
  };
}

const HEADINGS: Record<string, string> = {
  access_link_expired: 'This link has expired',
  access_link_used: 'This link has already been used',
  access_link_revoked: 'This link was withdrawn',
  access_link_invalid: 'This link is not valid',
  access_rate_limited: 'Please wait a moment',
};

export function presentRefusal(err: AppError, reference: unknown) {
  const heading = HEADINGS[err.id] ?? (err.status === 401 ? 'Please open Fieldbook from your invitation' : 'We could not do that');
  return { title: heading, heading, message: err.message, code: err.id, reference };
}
