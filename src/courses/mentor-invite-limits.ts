/**
 * How many mentor invitations may be mailed: per candidate an hour and a day, per course a day
 * (fixed UTC windows). The counts live in the database because several instances send mail, and
 * each counted invitation is a slot document with a unique _id (see mentor-invite-slot.model.ts),
 * so racing requests can never take more slots than the limit.
 */
import { fromNow } from '../platform/local-time';
import type { AppConfig } from '../platform/config';
import { AppError, isDuplicateKeyError, tooManyRequests } from '../platform/errors';
import { MentorInviteSlotModel } from './mentor-invite-slot.model';

export type MentorInviteLimits = AppConfig['mentorInvites'];
export type InviteWindowKind = 'candidate-hour' | 'candidate-day' | 'course-day';

export interface InviteWindow {
  kind: InviteWindowKind;
  /** Names the course (and candidate) and the window's start; slots are `<key>#<n>`. */
  key: string;
  limit: number;
  endsAt: Date;
}

export type InviteReservation = { isReserved: true; release(): Promise<void> } | { isReserved: false; window: InviteWindow };

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const inviteSlotId = (window: InviteWindow, n: number) => `${window.key}#${n}`;

/**
 * The windows an invitation counts against. `candidateSub` is null when faculty send: staff
 * reassigning a cohort at the start of a term count only against the course.
 */
export function mentorInviteWindows(limits: MentorInviteLimits, course: { iss: string; clientId: string; contextId: string | null }, candidateSub: string | null, now: Date): InviteWindow[] {
  const window = (kind: InviteWindowKind, sizeMs: number, limit: number, who: string[]): InviteWindow => {
    const start = Math.floor(now.getTime() / sizeMs) * sizeMs;
    return { kind, limit, endsAt: new Date(start + sizeMs), key: JSON.stringify([kind, course.iss, course.clientId, course.contextId, ...who, new Date(start).toISOString()]) };
  };
  const windows = candidateSub
    ? [window('candidate-hour', HOUR_MS, limits.perCandidatePerHour, [candidateSub]), window('candidate-day', DAY_MS, limits.perCandidatePerDay, [candidateSub])]
    : [];
  windows.push(window('course-day', DAY_MS, limits.perCoursePerDay, []));
  return windows.filter((w) => w.limit > 0);
}

const slotExists = async (window: InviteWindow, n: number) => Boolean(await MentorInviteSlotModel.exists({ _id: inviteSlotId(window, n) }));

/**
 * Slots fill from 1 upwards, so the first free one is found by a binary search of `{ _id }`
 * lookups (the only reads FerretDB answers without a scan): 3 reads for a limit of 5, 8 for 200.
 * A slot given back after a failed send leaves a hole the search may step over; that only errs
 * towards refusing, for the rest of that window.
 */
async function firstFreeSlot(window: InviteWindow, from: number): Promise<number> {
  let low = from;
  let high = window.limit + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (await slotExists(window, mid)) low = mid + 1;
    else high = mid;
  }
  return low;
}

async function claimSlot(window: InviteWindow, now: Date): Promise<string | null> {
  let from = 1;
  for (;;) {
    const n = await firstFreeSlot(window, from);
    if (n > window.limit) return null;
    const _id = inviteSlotId(window, n);
    try {
      await MentorInviteSlotModel.create({ _id, expiresAt: window.endsAt, at: now });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Another request took this slot first: search again above it.
      from = n + 1;
      continue;
    }
    // The first slot of a window is taken once per window: a rare enough moment to delete ended
    // windows (a scan on FerretDB). Leftovers only take space, so a failure is let go.
    if (n === 1) await MentorInviteSlotModel.deleteMany({ expiresAt: { $lte: now } }).catch(() => undefined);
    return _id;
  }
}

/**
 * Takes one slot in each window, or none: when a window is full the slots already taken are given
 * back and that window is returned. `release` gives the slots back when the mail was not sent.
 */
export async function reserveMentorInvite(
  limits: MentorInviteLimits,
  course: { iss: string; clientId: string; contextId: string | null },
  candidateSub: string | null,
  now = new Date(),
): Promise<InviteReservation> {
  const taken: string[] = [];
  const release = async () => {
    await Promise.all(taken.map((_id) => MentorInviteSlotModel.deleteOne({ _id })));
  };
  for (const window of mentorInviteWindows(limits, course, candidateSub, now)) {
    const slot = await claimSlot(window, now);
    if (!slot) {
      await release();
      return { isReserved: false, window };
    }
    taken.push(slot);
  }
  return { isReserved: true, release };
}

const PER: Record<InviteWindowKind, string> = { 'candidate-hour': 'this hour', 'candidate-day': 'today', 'course-day': 'today' };

/** The 429 shown on the page: which limit, and from when another invitation can be sent. */
export function inviteLimitError(window: InviteWindow, now = new Date()): AppError {
  const who = window.kind === 'course-day' ? 'This course has' : 'You have';
  const n = `${window.limit} mentor ${window.limit === 1 ? 'invitation' : 'invitations'}`;
  return tooManyRequests(
    'mentor_invite_limit',
    `${who} sent ${n} ${PER[window.kind]}, the most allowed. Nothing was sent; you can send another ${fromNow(window.endsAt)}.`,
    { limit: window.kind, max: window.limit, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt.getTime() - now.getTime()) / 1000)) },
  );
}
