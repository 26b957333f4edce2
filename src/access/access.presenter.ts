import type { AppError } from '../platform/errors';
import type { AccessLinkView } from './access-link.service';
import type { ExternalSession } from './external-session.service';

/** For emails, which have no script to show the reader's zone; pages use {{localTime}} instead. */
const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
export const formatUtc = (d: Date) => `${dateTime.format(d)} UTC`;

/** "A", "A and B", "your 3 candidates": who the hours belong to, in the header's title. */
export function candidatesPhrase(names: string[]): string {
  const unique = [...new Set(names.filter(Boolean))];
  if (unique.length === 0) return 'your candidate';
  if (unique.length === 1) return unique[0];
  if (unique.length === 2) return `${unique[0]} and ${unique[1]}`;
  return `your ${unique.length} candidates`;
}

export interface ExternalShellInput {
  name: string;
  candidateNames: string[];
  courseTitles: string[];
  activityTitles: string[];
  /** Section links of the page (`#id` anchors); none on single-purpose pages. */
  nav?: { id: string; label: string }[];
}

/**
 * The shell header (views/partials/shell/header.hbs) for a mentor who has no LMS account: what this
 * is ("Mentoring …", the course and activity) and who they are here, in plain words.
 */
export function presentExternalShell({ name, candidateNames, courseTitles, activityTitles, nav = [] }: ExternalShellInput) {
  const join = (xs: string[]) => [...new Set(xs.filter(Boolean))].join(', ') || null;
  return {
    title: `Mentoring ${candidatesPhrase(candidateNames)}`,
    course: join(courseTitles),
    kindLine: join(activityTitles),
    person: { name: name || 'Mentor' },
    role: 'Mentor',
    isTestUser: false,
    nav: nav.map((s) => ({ ...s, href: `#${s.id}`, isCurrent: false })),
  };
}

export function presentLanding(link: AccessLinkView, token: string) {
  const shell = presentExternalShell({ name: link.name, candidateNames: [link.candidateName ?? ''], courseTitles: [link.courseTitle ?? ''], activityTitles: [link.activityTitle ?? ''] });
  return {
    title: shell.title,
    shell,
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
  const d = session.display;
  const shell = presentExternalShell({ name: session.name, candidateNames: [d.candidateName ?? ''], courseTitles: [d.courseTitle ?? ''], activityTitles: [d.activityTitle ?? ''] });
  return {
    title: shell.title,
    shell,
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

/** What to do next, for the refusals a mentor meets most (the message already says why). */
function refusalHelp(err: AppError): { help: string | null } {
  if (err.id === 'access_rate_limited') return { help: null };
  if (err.id.startsWith('access_link_') || err.id.startsWith('access_session_'))
    return { help: 'Nothing you entered before is lost: entries you verified stay verified. The person who invited you can send a new link from Fieldbook in a minute.' };
  return { help: null };
}

export function presentRefusal(err: AppError, reference: unknown) {
  const heading = HEADINGS[err.id] ?? (err.status === 401 ? 'Please open Fieldbook from your invitation' : 'We could not do that');
  return { title: heading, heading, message: err.message, code: err.id, reference, ...refusalHelp(err) };
}
