/**
 * Check-in reminders, run by the shared scheduler in the normal app process: to the candidate a
 * few days before a check-in is due and once it is overdue; to each emailed mentor a daily digest
 * of what awaits their sign-off (all mentees together, at most one mail a day).
 *
 * Each reminder has a key naming what it is about (`overdue:<activity>:<candidate>:<due day>`,
 * `digest:<platform>:<email>:<day>`). Sending starts by inserting that key (a unique _id: atomic on
 * MongoDB and the embedded FerretDB), so however many instances run the job, one of them sends it.
 * A send cut off by a restart is taken over after a lease; a refused one is retried a few times and
 * then shown as failed, with its reason, where faculty read reminders.
 */
import mongoose, { Schema } from 'mongoose';
import { issueAccessLink } from '../access';
import { plainName } from '../access/mentor-invite.mail';
import type { KindDeps } from '../activities/activity-kind';
import { ActivityModel, type Activity } from '../activities/activity.model';
import { listCourseMembers } from '../courses/course-membership.service';
import { CourseMentorModel, type CourseMentorAssignment } from '../courses/course-mentor.model';
import { CourseMembershipModel } from '../courses/course-membership.model';
import { findLtiUser } from '../lti/lti-user.model';
import { underClaim } from '../platform/database/version-claim';
import { isDuplicateKeyError } from '../platform/errors';
import type { OutgoingMail } from '../platform/mailer';
import { longDate } from '../platform/validate';
import { CheckInModel, type CheckIn } from './checkin.model';
import { addDays, computeCompliance, dayNumber } from './compliance';
import { cadenceStart } from './mentorship-grade';
import { MENTORSHIP } from './mentorship-type';
import { readMentorshipSettings } from './mentorship-settings';
import { isPaused, pauseUrl, type ReminderRecipient } from './reminder-pause';
// plan-mail sends through sendOnce here; each only calls the other at run time.
import { retryPlannedMails } from './plan-mail';

export const MENTORSHIP_REMINDERS_JOB = 'mentorship-reminders';

/** A candidate hears this many days before a check-in is due. */
export const DUE_SOON_DAYS = 3;
/** A send that has not finished after this long (its instance stopped) is taken over. */
const SEND_LEASE_MS = 10 * 60_000;
const MAX_ATTEMPTS = 4;

export type ReminderKind = 'due-soon' | 'overdue' | 'digest' | 'planned';

const reminderSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: ['due-soon', 'overdue', 'digest', 'planned'], required: true },
    /** The check-in a 'planned' mail announced (retried from it). */
    checkInId: { type: String, default: null },
    activityId: { type: String, default: null },
    candidateSub: { type: String, default: null },
    iss: { type: String, required: true },
    to: { type: String, default: '' },
    state: { type: String, enum: ['sending', 'sent', 'failed', 'skipped'], required: true },
    attempts: { type: Number, default: 1 },
    claimedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    reason: { type: String, default: null },
  },
  { collection: 'mentorship_reminders', versionKey: false, timestamps: true },
);
reminderSchema.index({ activityId: 1, candidateSub: 1 });
export const ReminderModel = mongoose.model('MentorshipReminder', reminderSchema);
export type Reminder = { _id: string; kind: ReminderKind; activityId: string | null; candidateSub: string | null; checkInId?: string | null; iss: string; to: string; state: string; attempts: number; claimedAt: Date; sentAt: Date | null; reason: string | null };

export type SendOutcome = 'sent' | 'failed' | 'skipped' | 'already';

/**
 * Sends the reminder `key` unless it was sent (or is being sent) already. `build` runs only for
 * the instance that holds the key, so a mail is composed — and a link issued — once.
 */
export async function sendOnce(deps: Pick<KindDeps, 'mailer' | 'logger'>, key: { _id: string; kind: ReminderKind; iss: string; activityId?: string; candidateSub?: string; checkInId?: string }, build: () => Promise<OutgoingMail | { skip: string }>, now = new Date()): Promise<SendOutcome> {
  const base = { _id: key._id, kind: key.kind, iss: key.iss, activityId: key.activityId ?? null, candidateSub: key.candidateSub ?? null, checkInId: key.checkInId ?? null };
  let attempts = 1;
  try {
    await ReminderModel.create({ ...base, state: 'sending', attempts, claimedAt: now });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const existing = await ReminderModel.findOne({ _id: key._id }).lean<Reminder>();
    if (!existing) return 'already';
    const isStale = existing.state === 'sending' && now.getTime() - existing.claimedAt.getTime() > SEND_LEASE_MS;
    const isRetry = existing.state === 'failed' && existing.attempts < MAX_ATTEMPTS && now.getTime() - existing.claimedAt.getTime() > SEND_LEASE_MS;
    if (!isStale && !isRetry) return 'already';
    // One taker per attempt: the claim on (key, attempts) is single-winner on both servers.
    attempts = existing.attempts + 1;
    const taken = await underClaim(key._id, existing.attempts, async () => (await ReminderModel.updateOne({ _id: key._id, attempts: existing.attempts }, { $set: { state: 'sending', claimedAt: now }, $inc: { attempts: 1 } })).modifiedCount === 1 || null);
    if (!taken) return 'already';
  }
  let mail: OutgoingMail | { skip: string };
  try {
    mail = await build();
  } catch (err) {
    await ReminderModel.updateOne({ _id: key._id }, { $set: { state: 'failed', reason: `Could not be prepared: ${String((err as Error).message ?? err).slice(0, 300)}` } });
    throw err;
  }
  if ('skip' in mail) {
    await ReminderModel.updateOne({ _id: key._id }, { $set: { state: 'skipped', reason: mail.skip } });
    return 'skipped';
  }
  try {
    await deps.mailer.send(mail);
  } catch (err) {
    const reason = String((err as Error).message ?? err).slice(0, 300);
    await ReminderModel.updateOne({ _id: key._id }, { $set: { state: 'failed', to: mail.to, reason: attempts >= MAX_ATTEMPTS ? `${reason} (gave up after ${attempts} attempts)` : reason } });
    deps.logger.warn({ reminder: key._id, attempts, reason }, 'reminder not sent');
    return 'failed';
  }
  await ReminderModel.updateOne({ _id: key._id }, { $set: { state: 'sent', to: mail.to, sentAt: new Date(), reason: null } });
  return 'sent';
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function mailOf(to: string, subject: string, paragraphs: string[], link: { url: string; label: string } | null, pause: string): OutgoingMail {
  const text = [...paragraphs, '', ...(link ? [`${link.label}: ${link.url}`, ''] : []), `To stop these reminders: ${pause}`, '', '— Fieldbook'].join('\n');
  const html = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    link ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>` : '',
    `<p><small><a href="${escapeHtml(pause)}">Pause these reminders</a></small></p>`,
    '<p>— Fieldbook</p></body></html>',
  ].join('\n');
  return { to, subject, text, html };
}

async function candidateEmail(activity: Activity, candidateSub: string, roster: Map<string, { email: string; name: string }>): Promise<{ email: string; name: string }> {
  const member = roster.get(candidateSub);
  if (member?.email) return member;
  const user = await findLtiUser(activity.iss, candidateSub);
  return { email: user?.email ?? '', name: member?.name || user?.name || '' };
}

interface RunResult {
  sent: number;
  failed: number;
  skipped: number;
}

/** A reminder another run already handled is not counted again. */
function tally(result: RunResult, outcome: SendOutcome) {
  if (outcome !== 'already') result[outcome] += 1;
}

/** The candidate reminders of one activity: due soon and overdue, once per due day. */
async function remindCandidates(deps: KindDeps, activity: Activity, today: string, result: RunResult) {
  const settings = readMentorshipSettings(activity.settings);
  const checkIns = await CheckInModel.find({ activityId: activity._id }).lean<CheckIn[]>();
  const members = await listCourseMembers(activity, 'candidate');
  const roster = new Map(members.filter((m) => !m.isTestUser).map((m) => [m.sub, { email: m.email ?? '', name: m.name ?? '' }]));
  const subs = new Set([...roster.keys(), ...checkIns.map((c) => c.candidateSub)]);
  for (const sub of subs) {
    const own = checkIns.filter((c) => c.candidateSub === sub);
    const c = computeCompliance(settings, own, today, cadenceStart(activity));
    if (!c.nextDue || c.isComplete) continue;
    const deadline = addDays(c.nextDue, settings.graceDays);
    // A meeting already planned by the deadline needs no reminder.
    if (c.nextPlanned && c.nextPlanned <= deadline) continue;
    const daysLeft = dayNumber(c.nextDue) - dayNumber(today);
    const kind: ReminderKind | null = c.isOverdue ? 'overdue' : daysLeft <= DUE_SOON_DAYS && today <= deadline ? 'due-soon' : null;
    if (!kind) continue;
    const recipient: ReminderRecipient = { iss: activity.iss, kind: 'candidate', id: sub };
    if (await isPaused(recipient)) continue;
    const key = { _id: `${kind}:${JSON.stringify([String(activity._id), sub, c.nextDue])}`, kind, iss: activity.iss, activityId: String(activity._id), candidateSub: sub };
    const outcome = await sendOnce(deps, key, async () => {
      const person = await candidateEmail(activity, sub, roster);
      if (!person.email) return { skip: 'No email address is known for this candidate (the LMS did not share one).' };
      const hello = person.name ? `Hello ${plainName(person.name)},` : 'Hello,';
      const due = longDate(c.nextDue!);
      const subject = kind === 'overdue' ? `A mentor check-in is overdue — ${activity.title}` : `A mentor check-in is due by ${due} — ${activity.title}`;
      const body = kind === 'overdue'
        ? [hello, `A check-in with your mentor was due by ${due} for ${activity.title}${activity.contextTitle ? ` (${activity.contextTitle})` : ''}, and none is recorded yet.`, `So far: ${c.counted} of ${c.requiredForTerm} check-ins. Plan or record one from the activity in your course.`]
        : [hello, `Your next check-in with your mentor for ${activity.title}${activity.contextTitle ? ` (${activity.contextTitle})` : ''} is due by ${due}.`, `So far: ${c.counted} of ${c.requiredForTerm} check-ins. Plan it from the activity in your course — you can send your mentor a calendar file from there.`];
      return mailOf(person.email, subject, body, null, await pauseUrl(deps.config, recipient));
    });
    tally(result, outcome);
  }
}

/** A mentor the digest is for: an emailed course mentor, or a mentor with an LMS account (their launches name their mentees). */
interface DigestItem {
  checkIn: CheckIn;
  activity: Activity;
  candidateName: string;
  /** Emailed course mentors get a fresh access link; LMS mentors open the activity in their course. */
  isEmailedMentor: boolean;
}

/**
 * One digest per mentor per day (by platform and email): every mentee's check-in awaiting their
 * sign-off, across courses. Emailed mentors are the candidates' CURRENT course mentors; LMS mentors
 * are the course members whose latest launch named the candidate as their mentee.
 */
async function digestMentors(deps: KindDeps, activities: Activity[], today: string, result: RunResult) {
  const signing = activities.filter((a) => readMentorshipSettings(a.settings).requiresSignOff);
  if (!signing.length) return;
  const awaiting = await CheckInModel.find({ activityId: { $in: signing.map((a) => a._id) }, status: 'held' }).lean<CheckIn[]>();
  if (!awaiting.length) return;
  const platforms = [...new Set(signing.map((a) => a.iss))];
  const [assignments, lmsMentors] = await Promise.all([
    CourseMentorModel.find({ iss: { $in: platforms } }).lean<CourseMentorAssignment[]>(),
    CourseMembershipModel.find({ iss: { $in: platforms }, roles: 'mentor', status: 'active' }).lean<{ iss: string; clientId: string; contextId: string; email: string; name: string; menteeSubs?: string[]; isTestUser?: boolean }[]>(),
  ]);
  const byActivity = new Map(signing.map((a) => [String(a._id), a]));
  const perMentor = new Map<string, { iss: string; email: string; name: string; items: DigestItem[] }>();
  const add = (iss: string, email: string, name: string, item: DigestItem) => {
    const k = JSON.stringify([iss, email.toLowerCase()]);
    const entry = perMentor.get(k) ?? { iss, email, name, items: [] };
    if (!entry.items.some((i) => String(i.checkIn._id) === String(item.checkIn._id))) entry.items.push(item);
    else if (item.isEmailedMentor) entry.items = entry.items.map((i) => (String(i.checkIn._id) === String(item.checkIn._id) ? item : i));
    perMentor.set(k, entry);
  };
  for (const checkIn of awaiting) {
    const activity = byActivity.get(String(checkIn.activityId))!;
    const sameCourse = (x: { iss: string; clientId: string; contextId: string | null }) => x.iss === activity.iss && x.clientId === activity.clientId && x.contextId === (activity.contextId ?? null);
    const assignment = assignments.find((x) => sameCourse(x) && x.candidateSub === checkIn.candidateSub);
    if (assignment?.mentor.email) add(activity.iss, assignment.mentor.email, assignment.mentor.name, { checkIn, activity, candidateName: assignment.candidateName || checkIn.candidateName || '', isEmailedMentor: true });
    for (const m of lmsMentors) {
      if (!m.email || m.isTestUser || !sameCourse(m) || !(m.menteeSubs ?? []).includes(checkIn.candidateSub)) continue;
      add(activity.iss, m.email, m.name, { checkIn, activity, candidateName: checkIn.candidateName || '', isEmailedMentor: false });
    }
  }
  for (const m of perMentor.values()) {
    const recipient: ReminderRecipient = { iss: m.iss, kind: 'mentor', id: m.email.toLowerCase() };
    if (await isPaused(recipient)) continue;
    const outcome = await sendOnce(deps, { _id: `digest:${JSON.stringify([m.iss, m.email.toLowerCase(), today])}`, kind: 'digest', iss: m.iss }, async () => {
      const emailed = m.items.find((i) => i.isEmailedMentor);
      // A fresh link for an emailed mentor: the one in the invitation works once, and the digest must open the page.
      const link = emailed
        ? await issueAccessLink(deps, {
            purpose: 'mentor-verify',
            email: m.email,
            name: m.name,
            scope: { iss: m.iss, activityId: String(emailed.activity._id), candidateSub: emailed.checkIn.candidateSub, clientId: emailed.activity.clientId, contextId: emailed.activity.contextId ?? null },
            createdBy: { sub: 'fieldbook-reminders', name: 'Fieldbook reminders' },
            display: { candidateName: emailed.candidateName, activityTitle: emailed.activity.title, courseTitle: emailed.activity.contextTitle ?? '' },
            ttlHours: 72,
          })
        : null;
      const lines = m.items.map(({ checkIn, activity, candidateName }) => `• ${plainName(candidateName) || 'Your mentee'}: check-in of ${longDate(checkIn.date)} (${activity.title}${activity.contextTitle ? `, ${activity.contextTitle}` : ''})`);
      const inLms = m.items.filter((i) => !i.isEmailedMentor).map((i) => i.activity.title);
      const n = m.items.length;
      return mailOf(
        m.email,
        `${n} check-in${n === 1 ? '' : 's'} awaiting your sign-off in Fieldbook`,
        [
          m.name ? `Hello ${plainName(m.name)},` : 'Hello,',
          `${n === 1 ? 'This check-in your mentee recorded is' : 'These check-ins your mentees recorded are'} waiting for your sign-off:`,
          ...lines,
          ...(inLms.length ? [`Sign off from ${[...new Set(inLms)].join(', ')} in your course's LMS.`] : []),
        ],
        link ? { url: link.url, label: 'Open Fieldbook to sign off (no account needed; the link works for 3 days)' } : null,
        await pauseUrl(deps.config, recipient),
      );
    });
    tally(result, outcome);
  }
}

/** The reminders job: every mentorship activity's candidate reminders, then the mentors' digests. */
export async function runMentorshipReminders(deps: KindDeps, now = new Date()): Promise<RunResult> {
  const today = now.toISOString().slice(0, 10);
  const activities = (await ActivityModel.find({ type: MENTORSHIP }).lean()) as Activity[];
  const result: RunResult = { sent: 0, failed: 0, skipped: 0 };
  for (const activity of activities) await remindCandidates(deps, activity, today, result);
  await digestMentors(deps, activities, today, result);
  // Announcements of planned meetings the mail server refused when they were made.
  for (const outcome of await retryPlannedMails(deps, now)) tally(result, outcome);
  return result;
}

/** The reminders of one activity, newest first, for faculty. */
export function listReminders(activityId: string, limit = 200): Promise<Reminder[]> {
  return ReminderModel.find({ activityId }).sort({ claimedAt: -1 }).limit(limit).lean<Reminder[]>();
}
