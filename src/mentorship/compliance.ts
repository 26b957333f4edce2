/**
 * Where a candidate stands against the placement's meeting cadence, computed from their check-ins
 * (never stored: a derived number that could go stale). Pure: the page, the faculty table, the
 * grade and the reminders all read the same answer. Days are YYYY-MM-DD calendar days.
 */
import type { ActionItem, CheckIn, CheckInStatus } from './checkin.model';
import type { MentorshipSettings } from './mentorship-settings';

const DAY_MS = 86_400_000;
export const dayNumber = (day: string) => Math.floor(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / DAY_MS);
export const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
export const addDays = (day: string, days: number) => dayOf(dayNumber(day) + days);

/** A check-in that took place (recorded by the candidate), whatever its sign-off. */
export const HELD_STATUSES: readonly CheckInStatus[] = ['held', 'changes-requested', 'signed-off'];

export type CheckInLike = Pick<CheckIn, 'status' | 'date' | 'pulse'> & { _id: unknown; actionItems: ActionItem[] };

export interface Compliance {
  held: number;
  signedOff: number;
  /** What the grade counts: signed-off check-ins, or held ones when no sign-off is asked. */
  counted: number;
  requiredSoFar: number;
  requiredForTerm: number;
  lastHeld: string | null;
  nextDue: string | null;
  nextPlanned: string | null;
  isOverdue: boolean;
  /** Held, waiting for the mentor's sign-off. */
  awaitingSignOff: number;
  openItems: number;
  overdueItems: number;
  /** The latest pulse has an answer of 2 or lower: a flag for faculty, never a grade. */
  hasPulseFlag: boolean;
  isComplete: boolean;
  percent: number;
}

/** The due dates the cadence sets, one per required check-in. */
export function dueDates(settings: MentorshipSettings, start: string): string[] {
  const required = requiredForTerm(settings);
  if (settings.cadence === 'per-term' && settings.termStart && settings.termEnd) {
    const span = dayNumber(settings.termEnd) - dayNumber(settings.termStart);
    return Array.from({ length: required }, (_, k) => dayOf(dayNumber(settings.termStart!) + Math.round((span * (k + 1)) / required)));
  }
  return Array.from({ length: required }, (_, k) => addDays(settings.termStart ?? start, settings.everyDays * (k + 1)));
}

/** Check-ins that earn full points: the term's due dates, or the number per term. */
export function requiredForTerm(settings: MentorshipSettings): number {
  if (settings.cadence === 'every' && settings.termStart && settings.termEnd) {
    return Math.max(1, Math.floor((dayNumber(settings.termEnd) - dayNumber(settings.termStart)) / settings.everyDays));
  }
  return settings.perTerm;
}

/** `<checkInId>:<itemId>` of every item a later check-in carried forward. */
export function carriedKeys(checkIns: readonly CheckInLike[]): Set<string> {
  // A draft carries nothing yet: abandoned, it must not hide the items it copied.
  return new Set(checkIns.filter((c) => c.status !== 'draft').flatMap((c) => c.actionItems.map((i) => i.carriedFrom).filter((k): k is string => Boolean(k))));
}

/** Open action items: not done, and not carried forward into a later check-in. */
export function openActionItems(checkIns: readonly CheckInLike[]): { checkInId: string; item: ActionItem }[] {
  const carried = carriedKeys(checkIns);
  return checkIns.filter((c) => c.status !== 'draft').flatMap((c) => c.actionItems.filter((i) => !i.isDone && !carried.has(`${String(c._id)}:${i.id}`)).map((item) => ({ checkInId: String(c._id), item })));
}

export function isPulseLow(pulse: CheckIn['pulse'] | undefined): boolean {
  if (!pulse) return false;
  return [pulse.workload, pulse.support, pulse.confidence, pulse.connection].some((v) => typeof v === 'number' && v <= 2);
}

/**
 * `start`: the day the cadence counts from when the placement names no term (the activity's
 * first day in the course).
 */
export function computeCompliance(settings: MentorshipSettings, checkIns: readonly CheckInLike[], today: string, start: string): Compliance {
  const heldOnes = checkIns.filter((c) => HELD_STATUSES.includes(c.status as CheckInStatus)).sort((a, b) => a.date.localeCompare(b.date));
  const signedOff = heldOnes.filter((c) => c.status === 'signed-off').length;
  const counted = settings.requiresSignOff ? signedOff : heldOnes.filter((c) => c.status !== 'changes-requested').length;
  const dues = dueDates(settings, start);
  const requiredSoFar = dues.filter((d) => addDays(d, settings.graceDays) < today).length;
  const lastHeld = heldOnes.length ? heldOnes[heldOnes.length - 1].date : null;
  const total = dues.length;
  let nextDue: string | null = null;
  if (heldOnes.length < total) nextDue = settings.cadence === 'every' ? addDays(lastHeld ?? settings.termStart ?? start, settings.everyDays) : dues[heldOnes.length];
  const planned = checkIns.filter((c) => c.status === 'planned' && c.date >= today).map((c) => c.date).sort();
  const open = openActionItems(checkIns);
  const latestPulse = [...heldOnes].reverse().find((c) => c.pulse)?.pulse;
  const percent = Math.min(100, Math.round((100 * counted) / Math.max(1, total)));
  return {
    held: heldOnes.length,
    signedOff,
    counted,
    requiredSoFar,
    requiredForTerm: total,
    lastHeld,
    nextDue,
    nextPlanned: planned[0] ?? null,
    isOverdue: nextDue !== null && addDays(nextDue, settings.graceDays) < today && !(planned[0] && planned[0] <= addDays(nextDue, settings.graceDays)),
    awaitingSignOff: settings.requiresSignOff ? heldOnes.filter((c) => c.status === 'held').length : 0,
    openItems: open.length,
    overdueItems: open.filter((o) => o.item.due && o.item.due < today).length,
    hasPulseFlag: isPulseLow(latestPulse),
    isComplete: counted >= total,
    percent,
  };
}

/** The one line the candidate, the mentor and faculty all read. */
export function complianceLine(c: Compliance, requiresSignOff: boolean, longDate: (day: string) => string): string {
  const counted = `${c.counted} of ${c.requiredForTerm} check-ins ${requiresSignOff ? 'signed off' : 'held'}`;
  if (c.isComplete) return `${counted} — the required check-ins are done.`;
  if (c.isOverdue && c.nextDue) return `${counted}. A check-in was due by ${longDate(c.nextDue)} and is overdue.`;
  if (c.nextPlanned) return `${counted}. Next check-in planned for ${longDate(c.nextPlanned)}.`;
  return c.nextDue ? `${counted}. Next check-in due by ${longDate(c.nextDue)}.` : `${counted}.`;
}
