import { badGateway, badRequest } from '../platform/errors';
import { lti, type AgsLineItem, type LtiIdToken, type NrpsMember } from '../lti/ltijs';

const AGS_LINEITEM_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem';
const AGS_SCORE_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

/** Why a platform refused a service call, in words faculty can act on. */
export function describePlatformError(err: unknown): { status?: number; reason: string } {
  const e = err as { response?: { statusCode?: number; body?: unknown }; message?: string };
  const status = e.response?.statusCode;
  let body = '';
  if (typeof e.response?.body === 'string') body = e.response.body.slice(0, 300);
  else if (e.response?.body) body = JSON.stringify(e.response.body).slice(0, 300);
  const reason = status ? `The LMS answered ${status}${body ? `: ${body}` : ''}` : (e.message ?? 'The LMS could not be reached');
  return { status, reason };
}

/**
 * The gradebook column for this placement: the one the platform named at launch,
 * else one tied to the resource link (found or created).
 */
export async function resolveLineItem(token: LtiIdToken, label: string, scoreMaximum: number): Promise<string> {
  const endpoint = token.platformContext.endpoint;
  if (!endpoint || !endpoint.scope?.includes(AGS_SCORE_SCOPE)) {
    throw badRequest('ags_unavailable', 'This LMS placement does not allow Fieldbook to send grades (no Assignment and Grade Services).');
  }
  if (endpoint.lineitem) return endpoint.lineitem;
  if (!endpoint.lineitems || !endpoint.scope.includes(AGS_LINEITEM_SCOPE)) {
    throw badRequest('ags_no_lineitem', 'The LMS gave this placement no gradebook column and does not let Fieldbook create one.');
  }
  const found = await lti.Grade.getLineItems(token, { resourceLinkId: true });
  const existing = found.lineItems.find((li: AgsLineItem) => li.id);
  if (existing?.id) return existing.id;
  const created = await lti.Grade.createLineItem(token, { label, scoreMaximum }, { resourceLinkId: true });
  if (!created.id) throw badGateway('ags_lineitem_create_failed', 'The LMS did not return the new gradebook column.');
  return created.id;
}

export interface ScoreInput {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  comment?: string;
  label: string;
}

/** Sends one score now (the durable outbox for activities builds on this). */
export async function sendScoreNow(token: LtiIdToken, input: ScoreInput): Promise<{ lineItemId: string }> {
  const lineItemId = await resolveLineItem(token, input.label, input.scoreMaximum);
  try {
    await lti.Grade.submitScore(token, lineItemId, {
      userId: input.userId,
      scoreGiven: input.scoreGiven,
      scoreMaximum: input.scoreMaximum,
      ...(input.comment ? { comment: input.comment } : {}),
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: new Date().toISOString(),
    });
  } catch (err) {
    const { reason } = describePlatformError(err);
    throw badGateway('ags_score_refused', reason);
  }
  return { lineItemId };
}

/** The whole roster: ltijs returns one page unless told not to page. */
export async function fetchRoster(token: LtiIdToken): Promise<NrpsMember[]> {
  if (!token.platformContext.namesRoles?.context_memberships_url) return [];
  const result = await lti.NamesAndRoles.getMembers(token, { pages: false });
  return result.members;
}
