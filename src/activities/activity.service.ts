/**
 * Finding the activity a request is for, always within the caller's platform AND course.
 *
 * LMS course copy (Canvas "Copy this course", Moodle backup/restore) carries the placement's custom
 * parameters, so a placement in course X can name course Y's activity_id. Such a launch never
 * reaches Y's records: it resolves to X's own copy of the activity, which faculty set up on their
 * first launch (createCourseCopy); until then it is 'copy-pending'.
 */
import type { Request } from 'express';
import { Types } from 'mongoose';
import type { Caller } from '../lti/caller';
import type { LtiIdToken } from '../lti/ltijs';
import { findRaw } from '../platform/database/direct';
import { conflict, isDuplicateKeyError } from '../platform/errors';
import { withTransientRetry } from '../platform/transient';
import { ActivityKeyModel, ActivityModel, courseCopyKey, placementKey, resourceLinkKey, type Activity } from './activity.model';

const OBJECT_ID = /^[a-f0-9]{24}$/;

export type ActivityResolution =
  | { state: 'found'; activity: Activity; fromPlacement: boolean }
  /** The placement names an activity of another course (a course copy) not yet set up here. */
  | { state: 'copy-pending'; original: Activity }
  | { state: 'none'; named: boolean };

/** The activity a page asks for: `aid` in the form or query (pages opened from the course home). */
export function requestedActivityId(req: Request): string | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const value = typeof body.aid === 'string' && body.aid ? body.aid : typeof req.query.aid === 'string' ? req.query.aid : '';
  return OBJECT_ID.test(value) ? value : null;
}

const sameCourse = (caller: Caller, activity: Pick<Activity, 'iss' | 'clientId' | 'contextId'>) =>
  activity.iss === caller.iss && activity.clientId === caller.clientId && (activity.contextId ?? null) === caller.contextId;

/** Read on every request of every activity page: through the driver (src/platform/database/direct.ts says why). */
async function byId(id: string): Promise<Activity | null> {
  return OBJECT_ID.test(id) ? withTransientRetry(() => findRaw<Activity>(ActivityModel, { _id: new Types.ObjectId(id) })) : null;
}

/**
 * Activity keys (a resource link's binding, a course's copy, a form's placement) are written once
 * and never changed or deleted, so the activity a key names is remembered in this process: one
 * database read fewer on every request of a placement. Only keys found are kept (a key not there
 * yet may be written by the next launch), at most KEY_CACHE_SIZE, the oldest forgotten first.
 */
const KEY_CACHE_SIZE = 5_000;
const keyedActivityIds = new Map<string, string>();

async function byKey(key: string): Promise<Activity | null> {
  let activityId = keyedActivityIds.get(key);
  if (!activityId) {
    const found = await withTransientRetry(() => findRaw<{ activityId: string }>(ActivityKeyModel, { _id: key }));
    if (!found) return null;
    activityId = found.activityId;
    if (keyedActivityIds.size >= KEY_CACHE_SIZE) keyedActivityIds.delete(keyedActivityIds.keys().next().value as string);
    keyedActivityIds.set(key, activityId);
  }
  return byId(activityId);
}

/**
 * The caller's activity: the one asked for by `aid` (only if it is in the caller's course), else
 * the placement's (resource link binding, then custom activity_id, then this course's copy).
 */
export async function resolveActivity(caller: Caller, requestedId: string | null): Promise<ActivityResolution> {
  if (requestedId) {
    const asked = await byId(requestedId);
    return asked && sameCourse(caller, asked) ? { state: 'found', activity: asked, fromPlacement: false } : { state: 'none', named: true };
  }
  if (caller.resourceLinkId) {
    const bound = await byKey(resourceLinkKey(caller.iss, caller.clientId, caller.resourceLinkId));
    if (bound && sameCourse(caller, bound)) return { state: 'found', activity: bound, fromPlacement: true };
  }
  const named = typeof caller.custom.activity_id === 'string' ? caller.custom.activity_id : '';
  if (!named) return { state: 'none', named: false };
  const activity = await byId(named);
  if (!activity || activity.iss !== caller.iss || activity.clientId !== caller.clientId) return { state: 'none', named: true };
  if (sameCourse(caller, activity)) return { state: 'found', activity, fromPlacement: true };
  const copy = await byKey(courseCopyKey(caller.iss, caller.clientId, caller.contextId, String(activity._id)));
  if (copy && sameCourse(caller, copy)) return { state: 'found', activity: copy, fromPlacement: true };
  return { state: 'copy-pending', original: activity };
}

async function insertKey(key: string, activityId: string): Promise<string> {
  try {
    await ActivityKeyModel.create({ _id: key, activityId, createdAt: new Date() });
    return activityId;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const existing = await ActivityKeyModel.findOne({ _id: key }).lean();
    return existing ? existing.activityId : activityId;
  }
}

/**
 * Binds the resource link a placement launched from, and remembers the gradebook column the
 * launch names. Returns the line item when it is newly learned (grades waiting for it can go).
 */
export async function learnFromLaunch(activity: Activity, caller: Caller, token: LtiIdToken): Promise<string | null> {
  if (caller.resourceLinkId && !activity.resourceLinkIds.includes(caller.resourceLinkId)) {
    await insertKey(resourceLinkKey(caller.iss, caller.clientId, caller.resourceLinkId), String(activity._id));
    await ActivityModel.updateOne({ _id: activity._id }, { $addToSet: { resourceLinkIds: caller.resourceLinkId } });
  }
  const lineItemUrl = token.platformContext.endpoint?.lineitem;
  if (typeof lineItemUrl !== 'string' || !lineItemUrl || lineItemUrl === activity.lineItemUrl) return null;
  await ActivityModel.updateOne({ _id: activity._id }, { $set: { lineItemUrl } });
  activity.lineItemUrl = lineItemUrl;
  return lineItemUrl;
}

/**
 * Sets up this course's own activity from a copied placement: the original's kind, title, points
 * and settings, none of its records. Two faculty confirming at once get one copy (the copy key).
 */
export async function createCourseCopy(caller: Caller, original: Activity): Promise<Activity> {
  const key = courseCopyKey(caller.iss, caller.clientId, caller.contextId, String(original._id));
  const existing = await byKey(key);
  if (existing) return existing;
  const created = await ActivityModel.create({
    iss: caller.iss,
    clientId: caller.clientId,
    deploymentId: caller.deploymentId,
    contextId: caller.contextId,
    contextTitle: caller.contextTitle,
    type: original.type,
    title: original.title,
    pointsPossible: original.pointsPossible,
    isGraded: original.isGraded,
    createdBy: caller.sub,
    settings: original.settings,
    copiedFrom: String(original._id),
  });
  const winner = await insertKey(key, String(created._id));
  if (winner !== String(created._id)) {
    await ActivityModel.deleteOne({ _id: created._id });
    return (await byId(winner)) as Activity;
  }
  return created.toObject() as Activity;
}

/** What a picker form places: the kind, title and points chosen, and the kind's validated settings. */
export interface Placement {
  type: string;
  title: string;
  pointsPossible: number;
  settings: unknown;
}

/**
 * Creates the activity a picker form places, once per form. The form's one-time token is reserved
 * first (a unique-_id key naming the activity about to be created), so the same form posted again
 * (browser Back, a double click, a retry) answers with the activity its first post placed. A first
 * post cut off between the reservation and the insert is completed by the next post of that form,
 * under the reserved id. `isRepeat`: the activity already existed (nothing was created now).
 */
export async function placeActivity(caller: Caller, formToken: string, placement: Placement): Promise<{ activity: Activity; isRepeat: boolean }> {
  const planned = String(new Types.ObjectId());
  const key = placementKey(caller.iss, caller.clientId, caller.contextId, caller.sub, formToken);
  const reserved = await withTransientRetry(() => insertKey(key, planned));
  if (reserved !== planned) {
    const earlier = await withTransientRetry(() => byId(reserved));
    if (earlier) return { activity: earlier, isRepeat: true };
    if (!OBJECT_ID.test(reserved)) throw conflict('activity_placement_unusable', 'This form can no longer be used; open “Add activity” again from your course.');
  }
  const isGraded = placement.pointsPossible > 0;
  const fields = { ...placement, isGraded, iss: caller.iss, clientId: caller.clientId, deploymentId: caller.deploymentId, contextId: caller.contextId, contextTitle: caller.contextTitle, createdBy: caller.sub };
  try {
    const created = await withTransientRetry(() => ActivityModel.create({ _id: new Types.ObjectId(reserved), ...fields }));
    return { activity: created.toObject() as Activity, isRepeat: false };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  // Another post of this form (or an earlier attempt of this one) inserted it meanwhile.
  const inserted = await withTransientRetry(() => byId(reserved));
  if (!inserted) throw conflict('activity_placement_changed', 'The activity could not be added; please try again.');
  return { activity: inserted, isRepeat: true };
}

/** The activities of the caller's course (the course home). A course holds few: one query. */
export async function listCourseActivities(caller: Caller): Promise<Activity[]> {
  if (!caller.contextId) return [];
  return (await ActivityModel.find({ iss: caller.iss, clientId: caller.clientId, contextId: caller.contextId }).sort({ createdAt: 1 }).limit(200).lean()) as Activity[];
}
