import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { recordAccessEvent } from './access-audit.service';
import { accessErrors, type SessionRefusal } from './access.errors';
import type { AccessDisplay, AccessLink, AccessPurpose, AccessScope } from './access-link.model';
import { ExternalSessionModel, type ExternalSessionRecord } from './external-session.model';

export const EXTERNAL_SESSION_HOURS = 8;

/** The person behind a redeemed access link, for one working session. */
export interface ExternalSession {
  /** Carried by every page in forms/links as `s` (or `Authorization: Bearer`), like an ltik. */
  token: string;
  linkJti: string;
  purpose: AccessPurpose;
  email: string;
  name: string;
  scope: AccessScope;
  display: AccessDisplay;
  invitedBy: string;
  expiresAt: Date;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function present(record: ExternalSessionRecord, token: string): ExternalSession {
  return {
    token,
    linkJti: record.linkJti,
    purpose: record.purpose as AccessPurpose,
    email: record.email,
    name: record.name,
    scope: { iss: record.scope.iss, activityId: record.scope.activityId, candidateSub: record.scope.candidateSub, clientId: record.scope.clientId ?? null, contextId: record.scope.contextId ?? null },
    display: {
      candidateName: record.display?.candidateName ?? '',
      activityTitle: record.display?.activityTitle ?? '',
      courseTitle: record.display?.courseTitle ?? '',
    },
    invitedBy: record.invitedBy ?? '',
    expiresAt: record.expiresAt,
  };
}

/** Called by redeemAccessLink once the link is claimed. */
export async function openExternalSession(link: AccessLink, now: Date): Promise<ExternalSession> {
  const token = randomBytes(32).toString('base64url');
  const record = await ExternalSessionModel.create({
    tokenHash: hashToken(token),
    linkJti: link.jti,
    purpose: link.purpose,
    email: link.subject.email,
    name: link.subject.name,
    scope: link.scope,
    display: link.display,
    invitedBy: link.createdBy.name,
    createdAt: now,
    expiresAt: new Date(now.getTime() + EXTERNAL_SESSION_HOURS * 3_600_000),
    lastSeenAt: now,
  });
  return present(record.toObject(), token);
}

export async function endSessionsOfLink(linkJti: string, reason: string): Promise<void> {
  await ExternalSessionModel.updateMany({ linkJti, endedAt: null }, { $set: { endedAt: new Date(), endedReason: reason } });
}

async function refuse(reason: SessionRefusal, record: ExternalSessionRecord | null, ip: string | null): Promise<never> {
  await recordAccessEvent({
    actor: record ? { kind: 'external', email: record.email, name: record.name } : { kind: 'anonymous' },
    action: 'session.refused',
    target: record ? { linkJti: record.linkJti, purpose: record.purpose, email: record.email, candidateSub: record.scope.candidateSub, activityId: record.scope.activityId } : {},
    reason,
    ip,
  });
  throw accessErrors.session(reason);
}

/** Finds the live session for a token and marks it seen; 401 (audited) otherwise. */
export async function resolveExternalSession(sessionToken: string | null | undefined, origin: { ip?: string | null } = {}): Promise<ExternalSession> {
  const ip = origin.ip ?? null;
  // No token at all is an ordinary visit, not an attempt: no audit record.
  if (!sessionToken) throw accessErrors.session('missing');
  if (!TOKEN_PATTERN.test(sessionToken)) return refuse('unknown', null, ip);
  const tokenHash = hashToken(sessionToken);
  const now = new Date();
  const live = await ExternalSessionModel.findOneAndUpdate(
    { tokenHash, endedAt: null, expiresAt: { $gt: now } },
    { $set: { lastSeenAt: now } },
    { new: true },
  ).lean();
  if (live) return present(live, sessionToken);
  const record = await ExternalSessionModel.findOne({ tokenHash }).lean();
  return refuse(!record ? 'unknown' : record.endedAt ? 'ended' : 'expired', record, ip);
}

/** The session token from `s` in the query or body, or `Authorization: Bearer`. */
export function sessionTokenFrom(req: Request): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim() || null;
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.s === 'string' && body.s) return body.s;
  if (typeof req.query.s === 'string' && req.query.s) return req.query.s;
  return null;
}

/**
 * For routes used by external people (mentors without an LMS account): the
 * caller's session, or a 401 AppError. Pass `session.token` on as `s` in every
 * form and link the page renders.
 */
export async function requireExternalSession(req: Request): Promise<ExternalSession> {
  return resolveExternalSession(sessionTokenFrom(req), { ip: req.ip ?? null });
}
