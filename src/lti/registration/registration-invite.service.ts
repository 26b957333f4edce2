import { createHash, randomBytes } from 'node:crypto';
import type { AppConfig } from '../../platform/config';
import { isDuplicateKeyError } from '../../platform/errors';
import { withTransientRetry } from '../../platform/transient';
import { DynamicRegistrationError } from '../dynamic-registration.http';
import { toolUrls } from '../provider';
import { RegistrationInviteModel, RegistrationInviteUseModel } from './registration-invite.model';

/**
 * Dynamic registration is by invitation only: an administrator creates a one-time link
 * (`npm run platform:invite`), pastes it into the LMS (Canvas: Developer Keys → + LTI Registration;
 * Moodle: Manage tools → Tool URL → Add LTI Advantage), and the LMS opens it with its
 * openid_configuration and registration_token appended. Without a valid, unexpired, unused invite
 * the registration endpoint refuses before it fetches anything or generates a key.
 */

export const DEFAULT_INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
export const MAX_INVITE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** 32 random bytes, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const hashInviteToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The URL an LMS administrator pastes: the token is a path segment, so the LMS's own query parameters cannot clash with it. */
export function registrationUrl(config: Pick<AppConfig, 'publicUrl'>, token: string): string {
  return `${toolUrls(config).register}/${token}`;
}

export interface CreatedInvite {
  token: string;
  url: string;
  label: string;
  expiresAt: Date;
}

export async function createRegistrationInvite(
  config: Pick<AppConfig, 'publicUrl'>,
  input: { label: string; lifetimeMs?: number },
  now = new Date(),
): Promise<CreatedInvite> {
  const lifetimeMs = Math.min(input.lifetimeMs ?? DEFAULT_INVITE_LIFETIME_MS, MAX_INVITE_LIFETIME_MS);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + lifetimeMs);
  await withTransientRetry(() => RegistrationInviteModel.create({ _id: hashInviteToken(token), label: input.label, createdAt: now, expiresAt }));
  return { token, url: registrationUrl(config, token), label: input.label, expiresAt };
}

export interface ClaimedInvite {
  label: string;
  /** The platform is registered: the invite is spent for good. */
  complete(registered: { issuer: string; clientId: string }): Promise<void>;
  /** Nothing was registered: the invite may be used again (until it expires). */
  release(): Promise<void>;
}

const refused = (id: string, message: string) => new DynamicRegistrationError(403, id, message);

/**
 * Takes the invite for one registration, or refuses. Two database round trips by _id: the
 * invite's read and the insert of its use, whose unique _id lets exactly one racing request in.
 */
export async function claimRegistrationInvite(token: string | undefined, now = new Date()): Promise<ClaimedInvite> {
  const ask = 'Ask a Fieldbook administrator for a registration link (npm run platform:invite) and start the registration again from the LMS with it.';
  if (!token) throw refused('dynreg_invite_required', `Dynamic registration needs a one-time registration link. ${ask}`);
  if (!TOKEN_PATTERN.test(token)) throw refused('dynreg_invite_invalid', `This registration link is not valid. ${ask}`);
  const _id = hashInviteToken(token);
  const invite = await withTransientRetry(() => RegistrationInviteModel.findById(_id).lean());
  if (!invite) throw refused('dynreg_invite_invalid', `This registration link is not valid. ${ask}`);
  if (invite.expiresAt.getTime() <= now.getTime()) throw refused('dynreg_invite_expired', `This registration link expired on ${invite.expiresAt.toISOString()}. ${ask}`);
  try {
    await withTransientRetry(() => RegistrationInviteUseModel.create({ _id, at: now, registered: null }));
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    throw refused('dynreg_invite_used', `This registration link has already been used (each link registers one platform). ${ask}`);
  }
  return {
    label: invite.label,
    complete: async (registered) => {
      await withTransientRetry(() => RegistrationInviteUseModel.replaceOne({ _id }, { _id, at: now, registered }));
    },
    release: async () => {
      await withTransientRetry(() => RegistrationInviteUseModel.deleteOne({ _id, registered: null }));
    },
  };
}

export interface InviteSummary {
  label: string;
  createdAt: Date;
  expiresAt: Date;
  state: 'open' | 'expired' | 'in use' | 'used';
  registered: { issuer: string; clientId: string } | null;
}

/** For the CLI's --list: a scan, fine for an administrator's command. */
export async function listRegistrationInvites(now = new Date()): Promise<InviteSummary[]> {
  const [invites, uses] = await Promise.all([RegistrationInviteModel.find().sort({ createdAt: 1 }).lean(), RegistrationInviteUseModel.find().lean()]);
  const useOf = new Map(uses.map((u) => [u._id, u]));
  return invites.map((i) => {
    const use = useOf.get(i._id);
    const state = use ? (use.registered ? 'used' : 'in use') : i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'open';
    return { label: i.label, createdAt: i.createdAt, expiresAt: i.expiresAt, state, registered: use?.registered ?? null };
  });
}
