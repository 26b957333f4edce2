import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../platform/config';
import { badRequest } from '../platform/errors';
import { recordAccessEvent, type AccessActor } from './access-audit.service';
import { accessErrors, type LinkRefusal } from './access.errors';
import { AccessLinkModel, ACCESS_PURPOSES, type AccessLink, type AccessPurpose, type AccessScope } from './access-link.model';
import { signAccessToken, verifyAccessToken } from './access-link.token';
import { openExternalSession, endSessionsOfLink, type ExternalSession } from './external-session.service';

export const DEFAULT_LINK_TTL_HOURS = 14 * 24;
const MAX_LINK_TTL_HOURS = 60 * 24;

export type { AccessScope } from './access-link.model';

export interface IssueAccessLinkInput {
  purpose: AccessPurpose;
  email: string;
  name: string;
  scope: AccessScope;
  createdBy: { sub: string; name: string };
  /** Names shown to the person on the landing page. */
  display?: { candidateName?: string; activityTitle?: string; courseTitle?: string };
  /** Default 14 days; fractions allowed (tests use tiny values). */
  ttlHours?: number;
}

export interface IssuedAccessLink {
  url: string;
  jti: string;
  expiresAt: Date;
}

/** Where the request came from, for the audit log. */
export interface RequestOrigin {
  ip?: string | null;
}

type Deps = { config: Pick<AppConfig, 'publicUrl' | 'lti'> };

const tokenSettings = (config: Deps['config']) => ({ encryptionKey: config.lti.encryptionKey, issuer: config.publicUrl });

/** Creates the link record, signs its token and audits the issue. The URL opens the landing page. */
export async function issueAccessLink(deps: Deps, input: IssueAccessLinkInput): Promise<IssuedAccessLink> {
  const ttlHours = input.ttlHours ?? DEFAULT_LINK_TTL_HOURS;
  if (!(ttlHours > 0 && ttlHours <= MAX_LINK_TTL_HOURS)) throw badRequest('access_link_ttl_invalid', `A link must live between a moment and ${MAX_LINK_TTL_HOURS / 24} days.`);
  if (!ACCESS_PURPOSES.includes(input.purpose)) throw badRequest('access_link_purpose_invalid', 'Unknown access link purpose.');
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw badRequest('access_link_email_invalid', 'The email address is not valid.');

  const now = new Date();
  const jti = randomBytes(16).toString('base64url');
  const expiresAt = new Date(now.getTime() + Math.round(ttlHours * 3_600_000));
  await AccessLinkModel.create({
    jti,
    purpose: input.purpose,
    subject: { email, name: input.name.trim() || email },
    scope: input.scope,
    display: { candidateName: input.display?.candidateName ?? '', activityTitle: input.display?.activityTitle ?? '', courseTitle: input.display?.courseTitle ?? '' },
    createdBy: input.createdBy,
    createdAt: now,
    expiresAt,
  });
  const token = await signAccessToken(tokenSettings(deps.config), { jti, purpose: input.purpose, expiresAt });
  await recordAccessEvent({
    actor: { kind: 'lti', sub: input.createdBy.sub, name: input.createdBy.name },
    action: 'link.issued',
    target: { linkJti: jti, purpose: input.purpose, email, candidateSub: input.scope.candidateSub, activityId: input.scope.activityId },
    at: now,
  });
  return { url: `${deps.config.publicUrl}/access/${token}`, jti, expiresAt };
}

export interface AccessLinkView {
  jti: string;
  purpose: AccessPurpose;
  name: string;
  email: string;
  invitedBy: string;
  candidateName: string;
  activityTitle: string;
  courseTitle: string;
  expiresAt: Date;
}

function present(link: AccessLink): AccessLinkView {
  return {
    jti: link.jti,
    purpose: link.purpose as AccessPurpose,
    name: link.subject.name,
    email: link.subject.email,
    invitedBy: link.createdBy.name,
    candidateName: link.display?.candidateName ?? '',
    activityTitle: link.display?.activityTitle ?? '',
    courseTitle: link.display?.courseTitle ?? '',
    expiresAt: link.expiresAt,
  };
}

function refusalOf(link: AccessLink, now: Date): LinkRefusal | null {
  if (link.revokedAt) return 'revoked';
  if (link.usedAt) return 'used';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  return null;
}

async function refuse(reason: LinkRefusal, link: AccessLink | null, stage: 'view' | 'redeem', origin: RequestOrigin): Promise<never> {
  const actor: AccessActor = link ? { kind: 'external', email: link.subject.email, name: link.subject.name } : { kind: 'anonymous' };
  await recordAccessEvent({
    actor,
    action: 'link.refused',
    target: link ? { linkJti: link.jti, purpose: link.purpose, email: link.subject.email, candidateSub: link.scope.candidateSub, activityId: link.scope.activityId } : {},
    reason: `${reason} (${stage})`,
    ip: origin.ip ?? null,
  });
  throw accessErrors.link(reason, link?.createdBy.name ?? null);
}

/** Verifies the token and finds its record; refuses (with an audit record) anything that cannot be used. */
async function loadUsableLink(deps: Deps, token: string, stage: 'view' | 'redeem', origin: RequestOrigin): Promise<AccessLink> {
  const verified = await verifyAccessToken(tokenSettings(deps.config), token);
  if (!verified.ok) {
    const link = verified.jti ? await AccessLinkModel.findOne({ jti: verified.jti }).lean() : null;
    return refuse(verified.reason, link, stage, origin);
  }
  const link = await AccessLinkModel.findOne({ jti: verified.jti }).lean();
  if (!link) return refuse('unknown', null, stage, origin);
  if (link.purpose !== verified.purpose) return refuse('wrong_purpose', link, stage, origin);
  const refusal = refusalOf(link, new Date());
  if (refusal) return refuse(refusal, link, stage, origin);
  return link;
}

/**
 * For the landing page: checks the link without consuming it (mail scanners
 * fetch links before people click them).
 */
export async function inspectAccessLink(deps: Deps, token: string, origin: RequestOrigin = {}): Promise<AccessLinkView> {
  return present(await loadUsableLink(deps, token, 'view', origin));
}

/**
 * Consumes the link (once, atomically) and opens an external session.
 * Expired, used, revoked, unknown and tampered links are refused with a 4xx and audited.
 */
export async function redeemAccessLink(deps: Deps, token: string, origin: RequestOrigin = {}): Promise<ExternalSession> {
  const link = await loadUsableLink(deps, token, 'redeem', origin);
  const now = new Date();
  const claimed = await AccessLinkModel.findOneAndUpdate(
    { jti: link.jti, usedAt: null, revokedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
    { new: true },
  ).lean();
  if (!claimed) {
    // Lost a race with another redeem or a revoke: report the state that won.
    const current = await AccessLinkModel.findOne({ jti: link.jti }).lean();
    return refuse((current && refusalOf(current, new Date())) || 'used', current ?? link, 'redeem', origin);
  }

  let session: ExternalSession;
  try {
    session = await openExternalSession(claimed, now);
  } catch (err) {
    // No transactions: give the link back so the person is not locked out by our failure.
    await AccessLinkModel.updateOne({ jti: link.jti, usedAt: now }, { $set: { usedAt: null } });
    throw err;
  }
  // A revoke that landed between the claim and the session insert could not end this session.
  const after = await AccessLinkModel.findOne({ jti: link.jti }, { revokedAt: 1 }).lean();
  if (after?.revokedAt) {
    await endSessionsOfLink(link.jti, 'revoked');
    return refuse('revoked', claimed, 'redeem', origin);
  }
  await recordAccessEvent({
    actor: { kind: 'external', email: claimed.subject.email, name: claimed.subject.name },
    action: 'link.redeemed',
    target: { linkJti: claimed.jti, purpose: claimed.purpose, email: claimed.subject.email, candidateSub: claimed.scope.candidateSub, activityId: claimed.scope.activityId },
    ip: origin.ip ?? null,
    at: now,
  });
  return session;
}

/**
 * Withdraws a link and ends every session opened with it. Idempotent: revoking
 * twice keeps the first revoker. Returns false for an unknown jti.
 */
export async function revokeAccessLink(jti: string, by: { sub: string; name: string }): Promise<boolean> {
  const now = new Date();
  const link = await AccessLinkModel.findOneAndUpdate({ jti, revokedAt: null }, { $set: { revokedAt: now, revokedBy: by } }, { new: true }).lean();
  const current = link ?? (await AccessLinkModel.findOne({ jti }).lean());
  if (!current) return false;
  await endSessionsOfLink(jti, 'revoked');
  if (link) {
    await recordAccessEvent({
      actor: { kind: 'lti', sub: by.sub, name: by.name },
      action: 'link.revoked',
      target: { linkJti: jti, purpose: current.purpose, email: current.subject.email, candidateSub: current.scope.candidateSub, activityId: current.scope.activityId },
      at: now,
    });
  }
  return true;
}
