import { AppError } from '../platform/errors';

/** Why a link or session was refused; also the audit record's reason. */
export type LinkRefusal = 'invalid' | 'wrong_purpose' | 'unknown' | 'expired' | 'used' | 'revoked';
export type SessionRefusal = 'missing' | 'unknown' | 'expired' | 'ended';

const askFor = (name: string | null) => (name ? `ask ${name} for a new one` : 'ask the faculty member or candidate who sent it for a new one');

/**
 * Messages are written for a mentor who has never seen Fieldbook: say what
 * happened and what to do. Tampered links get no detail.
 */
export const accessErrors = {
  link: (reason: LinkRefusal, invitedBy: string | null): AppError => {
    switch (reason) {
      case 'expired':
        return new AppError(410, 'access_link_expired', `This link has expired — ${askFor(invitedBy)}.`, true, { reason });
      case 'used':
        return new AppError(410, 'access_link_used', `This link has already been used. Links work once — ${askFor(invitedBy)}.`, true, { reason });
      case 'revoked':
        return new AppError(410, 'access_link_revoked', `This link was withdrawn and no longer works — ${askFor(invitedBy)} if you still need access.`, true, { reason });
      default:
        return new AppError(400, 'access_link_invalid', `This link is not valid. Check that you opened the whole link from the email, or ${askFor(invitedBy)}.`, true, { reason });
    }
  },
  session: (reason: SessionRefusal): AppError => {
    const message =
      reason === 'missing'
        ? 'Open Fieldbook from the link in your invitation email.'
        : reason === 'expired'
          ? 'Your Fieldbook session has ended (sessions last a few hours). Open Fieldbook again from a new invitation link.'
          : reason === 'ended'
            ? 'Your access was withdrawn. Ask the faculty member or candidate who invited you if you still need it.'
            : 'This Fieldbook session is not valid. Open Fieldbook from the link in your invitation email.';
    return new AppError(401, `access_session_${reason}`, message, true, { reason });
  },
  rateLimited: () => new AppError(429, 'access_rate_limited', 'Too many attempts from your network. Please wait a minute and try again.'),
};
