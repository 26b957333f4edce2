import { AppError, badGateway, badRequest } from '../platform/errors';
import { lti, type AgsLineItem, type LtiIdToken, type NrpsMember } from '../lti/ltijs';
import { kickGradeSender, sendGradeNow } from './grade-sender';
import { getGradeSync, recordGradeChange, type GradeSyncView } from './outbox.service';

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
  /** The outbox key: the Fieldbook activity (or the resource link when there is none). */
  activityId: string;
  userId: string;
  userName?: string;
  isTestUser: boolean;
  scoreGiven: number;
  scoreMaximum: number;
  comment?: string;
  label: string;
}

/**
 * Records the grade in the durable outbox and tries to send it at once; whatever the platform
 * answers, the grade is kept and the sender retries what can be retried. Returns the sync state.
 */
export async function sendScoreNow(token: LtiIdToken, input: ScoreInput): Promise<{ lineItemId: string; sync: GradeSyncView | null }> {
  let lineItemId: string;
  try {
    lineItemId = await resolveLineItem(token, input.label, input.scoreMaximum);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badGateway('ags_lineitem_unavailable', describePlatformError(err).reason);
  }
  await recordGradeChange({
    activityId: input.activityId,
    contextId: token.platformContext.context?.id ?? null,
    iss: token.iss,
    clientId: token.clientId,
    deploymentId: token.deploymentId,
    lineItemUrl: lineItemId,
    userSub: input.userId,
    userName: input.userName,
    scoreGiven: input.scoreGiven,
    scoreMaximum: input.scoreMaximum,
    comment: input.comment,
    activityProgress: 'Completed',
    gradingProgress: 'FullyGraded',
    isTestUser: input.isTestUser,
  });
  const outcome = await sendGradeNow(input.activityId, input.userId);
  if (outcome === null) kickGradeSender();
  return { lineItemId, sync: await getGradeSync(input.activityId, input.userId) };
}

/** The whole roster: ltijs returns one page unless told not to page. */
export async function fetchRoster(token: LtiIdToken): Promise<NrpsMember[]> {
  if (!token.platformContext.namesRoles?.context_memberships_url) return [];
  const result = await lti.NamesAndRoles.getMembers(token, { pages: false });
  return result.members;
}
