import type { JWTPayload } from 'jose';
import { z } from 'zod';
import type { AppError } from '../../platform/errors';
import { guardErrors } from './guard.errors';

/**
 * The LTI 1.3 claim checks ltijs does not make (or makes too loosely), applied to a
 * payload whose signature, iss, exp and nbf jose has already verified.
 */
const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';
const C = {
  messageType: 'https://purl.imsglobal.org/spec/lti/claim/message_type',
  version: 'https://purl.imsglobal.org/spec/lti/claim/version',
  deploymentId: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  roles: 'https://purl.imsglobal.org/spec/lti/claim/roles',
  targetLinkUri: 'https://purl.imsglobal.org/spec/lti/claim/target_link_uri',
  resourceLink: 'https://purl.imsglobal.org/spec/lti/claim/resource_link',
  deepLinking: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
} as const;
export const MESSAGE_TYPES = ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'] as const;
const MAX_ID = 255;

export interface ClaimExpectations {
  clientId: string;
  /** Every client id registered for this issuer: the only audiences we trust. */
  trustedAudiences: string[];
  nonce: string;
  targetLinkUri: string;
  nowSeconds: number;
  clockSkewSeconds: number;
  maxAgeSeconds: number;
}

const idString = z.string().min(1).max(MAX_ID);

const ltiMessageSchema = z
  .object({
    sub: idString,
    nonce: z.string().min(1).max(1024),
    iat: z.number(),
    exp: z.number(),
    azp: z.string().optional(),
    [C.messageType]: z.enum(MESSAGE_TYPES),
    [C.version]: z.literal('1.3.0'),
    [C.deploymentId]: idString,
    [C.roles]: z.array(z.string().max(2048)).max(200),
    [C.targetLinkUri]: z.string().min(1).max(2048),
    [C.resourceLink]: z.object({ id: idString }).passthrough().optional(),
    [C.deepLinking]: z.object({ deep_link_return_url: z.string().url().max(2048) }).passthrough().optional(),
  })
  .passthrough();

export type LtiMessage = z.infer<typeof ltiMessageSchema>;

/** Which claim failed, named for the error id and message (never the value). */
function firstIssue(error: z.ZodError): { id: string; detail: string } {
  const issue = error.issues[0];
  const path = issue.path.map((p, i) => (i === 0 ? String(p).replace(LTI, '').replace(DL, '') : String(p))).join('.') || 'payload';
  // The return URL is the part of deep_linking_settings that matters; name it alike wherever it is missing.
  const claim = path === 'deep_linking_settings.deep_link_return_url' ? 'deep_link_return_url' : path;
  const received = (issue as { received?: unknown }).received;
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_literal') && (received === 'undefined' || received === undefined);
  const state = missing ? 'missing' : 'invalid';
  return { id: `lti_claim_${claim.replace(/[^a-z0-9]+/gi, '_')}_${state}`, detail: `${claim} claim ${state}` };
}

/** Returns the typed message or the refusal to send. Does not touch the database. */
export function checkClaims(payload: JWTPayload, expect: ClaimExpectations): { ok: true; message: LtiMessage } | { ok: false; error: AppError } {
  const fail = (id: string, detail: string) => ({ ok: false as const, error: guardErrors.launchUnverified(id, detail) });

  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (!Array.isArray(aud) || aud.length === 0 || !aud.includes(expect.clientId)) return fail('lti_aud_mismatch', 'aud is not this tool');
  if (aud.some((a) => !expect.trustedAudiences.includes(a))) return fail('lti_aud_untrusted', 'aud names an untrusted party');
  if (aud.length > 1 && payload.azp === undefined) return fail('lti_azp_missing', 'azp is required with several audiences');
  if (payload.azp !== undefined && payload.azp !== expect.clientId) return fail('lti_azp_mismatch', 'azp is not this tool');

  const parsed = ltiMessageSchema.safeParse(payload);
  if (!parsed.success) {
    const { id, detail } = firstIssue(parsed.error);
    return { ok: false, error: guardErrors.launchInvalid(id, detail) };
  }
  const message = parsed.data;
  const { nowSeconds, clockSkewSeconds: skew } = expect;
  if (message.iat > nowSeconds + skew) return fail('lti_iat_future', 'issued in the future');
  if (nowSeconds - message.iat > expect.maxAgeSeconds + skew) return fail('lti_iat_too_old', 'issued too long ago');
  if (message.nonce !== expect.nonce) return fail('lti_nonce_mismatch', 'nonce does not match the login');
  if (message[C.targetLinkUri] !== expect.targetLinkUri) return fail('lti_target_link_uri_mismatch', 'target_link_uri does not match the login');

  const type = message[C.messageType];
  if (type === 'LtiResourceLinkRequest' && !message[C.resourceLink]) {
    return { ok: false, error: guardErrors.launchInvalid('lti_claim_resource_link_missing', 'resource_link.id missing') };
  }
  if (type === 'LtiDeepLinkingRequest' && !message[C.deepLinking]) {
    return { ok: false, error: guardErrors.launchInvalid('lti_claim_deep_link_return_url_missing', 'deep_link_return_url missing') };
  }
  return { ok: true, message };
}

export const DEPLOYMENT_CLAIM = C.deploymentId;
export const TARGET_LINK_URI_CLAIM = C.targetLinkUri;
