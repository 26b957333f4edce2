/**
 * A counted check-in's length, offered to the (first) practicum log of the same course (the placement's
 * countTowardPracticum): a draft "mentoring" entry the candidate completes and submits, logged once
 * (the practicum keys it by the check-in). Asked through the activity seam (ActivityKind.acceptHours),
 * so this kind knows no other kind. Reconciliation offers what a failed attempt left out.
 */
import { ActivityModel, type Activity } from '../activities/activity.model';
// The registry imports every kind, this one included: only read at call time, never at load.
import * as registry from '../activities/registry';
import type { Logger } from '../platform/logger';
import { withTransientRetry } from '../platform/transient';
import { CheckInModel, type CheckIn } from './checkin.model';
import { MODE_LABELS } from './mentorship.presenter';
import { readMentorshipSettings } from './mentorship-settings';

export async function offerCheckInHours(activity: Activity, checkIn: CheckIn): Promise<number> {
  if (!readMentorshipSettings(activity.settings).countTowardPracticum || checkIn.hoursOffered || !checkIn.durationMinutes) return 0;
  const others = (await withTransientRetry(() => ActivityModel.find({ iss: activity.iss, clientId: activity.clientId, contextId: activity.contextId ?? null }).sort({ createdAt: 1 }).lean())) as Activity[];
  let offered = 0;
  for (const other of others) {
    const kind = registry.findKind(other.type);
    if (String(other._id) === String(activity._id) || !kind?.acceptHours) continue;
    const agenda = (checkIn.agenda ?? '').split('\n')[0]?.trim();
    await kind.acceptHours(other, {
      candidateSub: checkIn.candidateSub,
      candidateName: checkIn.candidateName ?? '',
      date: checkIn.date,
      minutes: checkIn.durationMinutes,
      description: `Mentor check-in (${MODE_LABELS[checkIn.mode ?? 'in-person'].toLowerCase()})${agenda ? `: ${agenda}` : ''} — from ${activity.title}.`,
      mentor: { name: checkIn.signOff?.by?.name ?? '', email: checkIn.signOff?.by?.email ?? null },
      sourceKey: `mentorship-checkin:${String(checkIn._id)}`,
    });
    offered += 1;
    // Logged once: the course's first activity that takes hours (its practicum log), never two logs.
    break;
  }
  await withTransientRetry(() => CheckInModel.updateOne({ _id: checkIn._id }, { $set: { hoursOffered: true } }));
  return offered;
}

/** After a check-in came to count: offers its hours; a failure is left for reconciliation, never fails the sign-off. */
export async function offerHoursQuietly(activity: Activity, checkIn: CheckIn, logger?: Logger): Promise<void> {
  try {
    await offerCheckInHours(activity, checkIn);
  } catch (err) {
    logger?.warn({ err, checkIn: String(checkIn._id) }, 'check-in hours not yet offered to the practicum log; reconciliation will retry');
  }
}

/** Counted check-ins of placements that count toward the practicum whose hours were not offered yet. */
export async function reconcileOfferedHours(activity: Activity): Promise<number> {
  const settings = readMentorshipSettings(activity.settings);
  if (!settings.countTowardPracticum) return 0;
  const statuses = settings.requiresSignOff ? ['signed-off'] : ['held', 'signed-off'];
  const pending = await CheckInModel.find({ activityId: activity._id, status: { $in: statuses }, hoursOffered: { $ne: true } }).limit(500).lean<CheckIn[]>();
  let n = 0;
  for (const c of pending) n += (await offerCheckInHours(activity, c)) > 0 ? 1 : 0;
  return n;
}
