import { AppError, badGateway, badRequest } from '../platform/errors';
import { lti, type AgsLineItem, type LtiIdToken, type NrpsMember } from '../lti/ltijs';
import { kickGradeSender, sendGradeNow } from './grade-sender';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { recordActivityGrade } from './activity-grade';
import { getGradeSync, type GradeSyncView } from './outbox.service';

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
  userName?: string;
  isTestUser: boolean;
  scoreGiven: number;
  comment?: string;
}

/**
 * Faculty's own score for an activity whose grade they decide: recorded in the durable outbox and
 * sent at once; whatever the platform answers, the grade is kept and the sender retries what can be
 * retried. The column is the activity's (learned from launches), else found or created through
 * this launch. Returns the sync state.
 */
export async function sendScoreNow(activity: Activity, token: LtiIdToken, input: ScoreInput): Promise<GradeSyncView | null> {
  if (!activity.lineItemUrl) {
    let lineItemUrl: string;
    try {
      lineItemUrl = await resolveLineItem(token, activity.title, activity.pointsPossible);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw badGateway('ags_lineitem_unavailable', describePlatformError(err).reason);
    }
    await ActivityModel.updateOne({ _id: activity._id }, { $set: { lineItemUrl } });
    activity.lineItemUrl = lineItemUrl;
  }
  const activityId = String(activity._id);
  await recordActivityGrade(
    activity,
    { candidateSub: input.userId, candidateName: input.userName, isTestUser: input.isTestUser, scoreGiven: input.scoreGiven, comment: input.comment, activityProgress: 'Completed', gradingProgress: 'FullyGraded' },
    { kick: false },
  );
  const outcome = await sendGradeNow(activityId, input.userId);
  if (outcome === null) kickGradeSender();
  return getGradeSync(activityId, input.userId);
}

/** The whole roster: ltijs returns one page unless told not to page. */
/**
 * Rosters fetched in the last ROSTER_CACHE_TTL_MS, per platform registration and membership URL
 * (the NRPS answer is the same for every faculty member of the course). Grading one candidate
 * after another would otherwise page through the whole roster for each grade (a 40-person
 * Canvas course is several pages). A cache only: a person not found in it is looked up again
 * (fresh), so someone just added to the course is never refused because of it; someone just
 * removed may still be listed for up to the TTL.
 */
export const ROSTER_CACHE_TTL_MS = 60_000;
const MAX_CACHED_ROSTERS = 500;
const rosterCache = new Map<string, { at: number; members: Promise<NrpsMember[]> }>();

export async function fetchRoster(token: LtiIdToken, options: { fresh?: boolean } = {}): Promise<NrpsMember[]> {
  const url = token.platformContext.namesRoles?.context_memberships_url;
  if (!url) return [];
  const key = JSON.stringify([token.iss, token.clientId, token.deploymentId, url]);
  const now = Date.now();
  const hit = rosterCache.get(key);
  if (!options.fresh && hit && now - hit.at < ROSTER_CACHE_TTL_MS) return hit.members;
  // Concurrent requests share one fetch; a failed fetch is not kept.
  const members = lti.NamesAndRoles.getMembers(token, { pages: false }).then((result) => result.members);
  if (rosterCache.size >= MAX_CACHED_ROSTERS) rosterCache.delete(rosterCache.keys().next().value as string);
  rosterCache.set(key, { at: now, members });
  members.catch(() => {
    if (rosterCache.get(key)?.members === members) rosterCache.delete(key);
  });
  return members;
}

/** The member with this user id, reading the roster again if the cached copy does not have them. */
export async function findRosterMember(token: LtiIdToken, userId: string): Promise<{ member: NrpsMember | undefined; roster: NrpsMember[] }> {
  let roster = await fetchRoster(token);
  let member = roster.find((m) => m.user_id === userId);
  if (!member) {
    roster = await fetchRoster(token, { fresh: true });
    member = roster.find((m) => m.user_id === userId);
  }
  return { member, roster };
}
