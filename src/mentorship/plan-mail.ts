/**
 * When a candidate plans a check-in (or moves it), their emailed course mentor gets the meeting in
 * a mail with its calendar file attached. Sent once per date and time (a reminder key); a mail the
 * server refuses is kept as failed and retried by the hourly reminders run.
 */
import type { KindDeps } from '../activities/activity-kind';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { plainName } from '../access/mentor-invite.mail';
import { findCourseMentor } from '../courses/course-mentors.service';
import { longDate } from '../platform/validate';
import { checkInIcs } from './checkin.ics';
import { CheckInModel, type CheckIn } from './checkin.model';
import { clockTime, MODE_LABELS } from './mentorship.presenter';
import { pauseUrl } from './reminder-pause';
import { mailOf, ReminderModel, sendOnce, type Reminder, type SendOutcome } from './reminders';

const MAX_RETRIES = 4;

export async function mailPlannedCheckIn(deps: KindDeps, activity: Activity, checkIn: CheckIn, now = new Date()): Promise<{ outcome: SendOutcome; mentorName: string | null }> {
  const mentor = await findCourseMentor({ iss: activity.iss, clientId: activity.clientId, contextId: activity.contextId ?? null }, checkIn.candidateSub);
  if (!mentor?.mentor.email || checkIn.status !== 'planned') return { outcome: 'skipped', mentorName: null };
  const key = { _id: `planned:${JSON.stringify([String(checkIn._id), checkIn.date, checkIn.time ?? ''])}`, kind: 'planned' as const, iss: activity.iss, activityId: String(activity._id), candidateSub: checkIn.candidateSub, checkInId: String(checkIn._id) };
  const outcome = await sendOnce(deps, key, async () => {
    const who = plainName(checkIn.candidateName || mentor.candidateName) || 'Your candidate';
    const when = `${longDate(checkIn.date)}${checkIn.time ? ` at ${clockTime(checkIn.time)}` : ''}`;
    const how = `${MODE_LABELS[checkIn.mode ?? 'in-person']}${checkIn.location ? ` — ${checkIn.location.replace(/[\r\n]+/g, ' ')}` : ''}`;
    const mail = mailOf(
      mentor.mentor.email,
      `Mentor check-in with ${who} on ${when}`,
      [mentor.mentor.name ? `Hello ${plainName(mentor.mentor.name)},` : 'Hello,', `${who} planned a check-in with you on ${when} (${how}) for ${activity.title}.`, ...(checkIn.agenda ? ['Agenda:', checkIn.agenda] : []), 'The calendar file is attached: open it to add the meeting to your calendar.'],
      null,
      await pauseUrl(deps.config, { iss: activity.iss, kind: 'mentor', id: mentor.mentor.email }),
    );
    return { ...mail, attachments: [{ filename: `check-in-${checkIn.date}.ics`, contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: checkInIcs(checkIn, activity) }] };
  }, now);
  return { outcome, mentorName: mentor.mentor.name || mentor.mentor.email };
}

/** Planned-meeting mails that failed, sent again (the check-in still planned for that day). */
export async function retryPlannedMails(deps: KindDeps, now: Date): Promise<SendOutcome[]> {
  const failed = await ReminderModel.find({ kind: 'planned', state: { $in: ['failed', 'sending'] }, attempts: { $lt: MAX_RETRIES } }).limit(200).lean<Reminder[]>();
  const outcomes: SendOutcome[] = [];
  for (const r of failed) {
    const checkIn = r.checkInId ? await CheckInModel.findOne({ _id: r.checkInId }).lean<CheckIn>() : null;
    const activity = checkIn ? ((await ActivityModel.findOne({ _id: checkIn.activityId }).lean()) as Activity | null) : null;
    if (!checkIn || !activity) continue;
    const current = `planned:${JSON.stringify([String(checkIn._id), checkIn.date, checkIn.time ?? ''])}`;
    // Moved since: the mail for the new day was (or will be) sent on its own.
    if (current !== r._id) continue;
    outcomes.push((await mailPlannedCheckIn(deps, activity, checkIn, now)).outcome);
  }
  return outcomes;
}
