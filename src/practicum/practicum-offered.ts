/**
 * Hours another activity of the course offers to the practicum log (ActivityKind.acceptHours): a
 * draft entry of the candidate's, which they complete (site, standards) and submit like any other,
 * so nothing reaches their hours without their review. Offered once per source record: its key is
 * reserved first (a unique _id), and a key whose insert was cut off is completed under the same id.
 */
import { Types } from 'mongoose';
import type { HoursOffer } from '../activities/activity-kind';
import type { Activity } from '../activities/activity.model';
import { findRaw, insertRaw, insertValidated } from '../platform/database/direct';
import { isDuplicateKeyError } from '../platform/errors';
import { withTransientRetry } from '../platform/transient';
import { PracticumEntryKeyModel } from './practicum-entry-key.model';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { settleCandidateProgress } from './practicum-settle';
import { todayIso } from './practicum.page';

export async function acceptOfferedHours(activity: Activity, offer: HoursOffer): Promise<'created' | 'exists'> {
  const key = `offered:${JSON.stringify([String(activity._id), offer.candidateSub, offer.sourceKey])}`;
  let _id = new Types.ObjectId();
  try {
    await withTransientRetry(() => insertRaw(PracticumEntryKeyModel, { _id: key, entryId: String(_id), createdAt: new Date() }));
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const reserved = await withTransientRetry(() => findRaw<{ entryId: string }>(PracticumEntryKeyModel, { _id: key }));
    if (!reserved || !Types.ObjectId.isValid(reserved.entryId)) return 'exists';
    if (await withTransientRetry(() => findRaw(PracticumEntryModel, { _id: new Types.ObjectId(reserved.entryId) }))) return 'exists';
    _id = new Types.ObjectId(reserved.entryId);
  }
  const entry = await withTransientRetry(() =>
    insertValidated<PracticumEntry>(PracticumEntryModel, {
      _id,
      activityId: activity._id,
      iss: activity.iss,
      contextId: activity.contextId ?? null,
      candidateSub: offer.candidateSub,
      candidateName: offer.candidateName,
      status: 'draft',
      date: offer.date,
      minutes: offer.minutes,
      category: 'mentoring',
      description: offer.description,
      mentor: { sub: null, email: offer.mentor.email, name: offer.mentor.name },
    }),
  ).catch(async (err: unknown) => {
    if (!isDuplicateKeyError(err)) throw err;
    return (await findRaw<PracticumEntry>(PracticumEntryModel, { _id }))!;
  });
  await settleCandidateProgress({ activity, candidateSub: offer.candidateSub, candidateName: offer.candidateName, entryIds: [entry._id], written: [entry], isApprovalChange: false, today: todayIso() });
  return 'created';
}
