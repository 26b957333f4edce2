/**
 * Check-ins, goals and compliance as the pages show them: whitelisted fields in plain words
 * (long dates, "3:30 PM", "Signed off by …"), and the pulse only where the policy allows.
 */
import type { CourseView } from '../activities/activity.policy';
import { formatInstant } from '../grading/grade-sync.presenter';
import { longDate, typedList, typedText } from '../platform/validate';
import type { ActionItem, CheckIn } from './checkin.model';
import type { MentorshipAudit } from './checkin-audit.model';
import { complianceLine, isPulseLow, type Compliance } from './compliance';
import type { MentorshipGoal } from './mentorship-goal.model';
import { canSeePulse } from './mentorship.policy';
import { ACTION_ROWS, PULSE_SCALES } from './mentorship.schemas';
import { AGENDA_TEMPLATES, type MentorshipSettings } from './mentorship-settings';

export const STATUS_LABELS: Record<string, { label: string; tone: string }> = {
  draft: { label: 'Draft — not yet planned or recorded', tone: 'text-bg-light border' },
  planned: { label: 'Planned', tone: 'text-bg-light border' },
  held: { label: 'Held — awaiting sign-off', tone: 'text-bg-warning' },
  'changes-requested': { label: 'Changes asked for', tone: 'text-bg-danger' },
  'signed-off': { label: 'Signed off', tone: 'text-bg-success' },
};
export const MODE_LABELS: Record<string, string> = { 'in-person': 'In person', video: 'Video call', phone: 'Phone call' };

/** "15:30" → "3:30 PM" (a meeting's local time as typed; no zone is implied). */
export function clockTime(hhmm: string | null | undefined): string {
  if (!hhmm || !/^\d{2}:\d{2}$/.test(hhmm)) return '';
  const [h, m] = hhmm.split(':').map(Number);
  return `${((h + 11) % 12) + 1}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

function presentItem(item: ActionItem, today: string, isCarriedOn: boolean) {
  return {
    text: item.text,
    owner: item.owner === 'mentor' ? 'Mentor' : 'Candidate',
    due: item.due ? longDate(item.due) : null,
    isDone: item.isDone,
    // An item carried into a later check-in is followed up there, not overdue here.
    isOverdue: !item.isDone && !isCarriedOn && Boolean(item.due && item.due < today),
    isCarried: Boolean(item.carriedFrom),
    isCarriedOn,
  };
}

export function presentCheckIn(c: CheckIn, view: CourseView | 'external', today: string, options: { requiresSignOff: boolean; carriedOn?: ReadonlySet<string> }) {
  const status = STATUS_LABELS[c.status] ?? { label: c.status, tone: 'text-bg-light' };
  const showPulse = canSeePulse(view, c.pulse);
  return {
    id: String(c._id),
    ref: `${String(c._id)}:${c.version}`,
    candidateSub: c.candidateSub,
    candidateName: c.candidateName,
    date: c.date ? longDate(c.date) : 'No date yet',
    isoDate: c.date,
    time: clockTime(c.time),
    duration: c.durationMinutes ? `${c.durationMinutes} minutes` : '',
    mode: MODE_LABELS[c.mode ?? 'in-person'],
    location: c.location,
    template: AGENDA_TEMPLATES[c.template as keyof typeof AGENDA_TEMPLATES]?.label ?? '',
    agenda: c.agenda,
    candidateNotes: c.candidateNotes,
    mentorNotes: c.mentorNotes,
    items: c.actionItems.map((i) => presentItem(i, today, options.carriedOn?.has(`${String(c._id)}:${i.id}`) ?? false)),
    status: c.status,
    statusLabel: !options.requiresSignOff && c.status === 'held' ? 'Held' : status.label,
    statusTone: !options.requiresSignOff && c.status === 'held' ? 'text-bg-success' : status.tone,
    isPlanned: c.status === 'planned',
    isHeld: c.status === 'held',
    isSignedOff: c.status === 'signed-off',
    canEdit: c.status !== 'signed-off',
    signOff: c.signOff ? { by: c.signOff.by?.name || c.signOff.by?.email || 'the mentor', at: formatInstant(c.signOff.at ?? null), comment: c.signOff.comment ?? '' } : null,
    changesRequested: c.status === 'changes-requested' && c.changesRequested ? { by: c.changesRequested.by?.name || 'Someone', comment: c.changesRequested.comment ?? '' } : null,
    pulse: showPulse && c.pulse ? { scales: Object.entries(PULSE_SCALES).map(([k, label]) => ({ label, value: (c.pulse as unknown as Record<string, number>)[k] })), help: c.pulse.help, isShared: Boolean(c.pulse.isSharedWithMentor) } : null,
    hasPulseFlag: isPulseLow(c.pulse) && (view === 'faculty' || view === 'coordinator' || showPulse),
    isPulseHidden: Boolean(c.pulse) && !showPulse,
  };
}

export function presentCompliance(c: Compliance, settings: MentorshipSettings) {
  return {
    ...c,
    line: complianceLine(c, settings.requiresSignOff, longDate),
    lastHeldText: c.lastHeld ? longDate(c.lastHeld) : 'None yet',
    nextDueText: c.nextDue ? longDate(c.nextDue) : '—',
    countedWord: settings.requiresSignOff ? 'signed off' : 'held',
  };
}

export function presentGoal(g: MentorshipGoal, nameOf: (id: string) => string) {
  const steps = (g.progress ?? []).filter((p) => typeof p.percent === 'number' || p.note);
  const latest = [...steps].reverse().find((p) => typeof p.percent === 'number');
  return {
    id: String(g._id),
    version: g.version,
    title: g.title,
    specific: g.specific,
    measurable: g.measurable,
    achievable: g.achievable,
    relevant: g.relevant,
    targetDate: g.targetDate ? longDate(g.targetDate) : null,
    standards: (g.standards ?? []).map(nameOf),
    status: g.status === 'achieved' ? 'Achieved' : g.status === 'dropped' ? 'Set aside' : 'In progress',
    percent: g.status === 'achieved' ? 100 : Math.round(latest?.percent ?? 0),
    history: steps.map((p) => ({ at: formatInstant(p.at ?? null), percent: typeof p.percent === 'number' ? `${Math.round(p.percent)}%` : '', note: p.note ?? '' })),
  };
}

const AUDIT_WORDS: Record<string, string> = {
  planned: 'planned',
  'recorded as held': 'recorded as held',
  edited: 'edited',
  'signed off': 'signed off',
  'changes asked for': 'sent back for changes',
  'returned by faculty': 'returned by faculty',
  'mentor notes saved': 'mentor’s notes added',
  'goal added': 'added',
  'goal edited': 'edited',
  'goal progress updated': 'progress updated',
};

/** One audit row: "Check-in of October 5, 2026 — signed off", who and when. `subjects` names each record. */
export function presentAudit(a: MentorshipAudit, subjects: ReadonlyMap<string, string> = new Map()) {
  const fallback = a.recordType === 'goal' ? 'A goal' : 'A check-in';
  return { at: formatInstant(a.at), who: a.actor?.name || a.actor?.email || 'Someone', role: a.actor?.role ?? '', subject: subjects.get(a.recordId) ?? fallback, action: AUDIT_WORDS[a.action] ?? a.action, comment: a.comment };
}

/** Names of the records an audit trail speaks of: check-ins by their meeting day, goals by title. */
export function auditSubjects(checkIns: readonly CheckIn[], goals: readonly MentorshipGoal[]): Map<string, string> {
  return new Map([...checkIns.map((c) => [String(c._id), `Check-in of ${longDate(c.date)}`] as const), ...goals.map((g) => [String(g._id), `Goal “${g.title}”`] as const)]);
}

/** The check-in form's fields: as typed (a failed post), from the check-in edited, or a new one (carried items and the first template). */
export function checkInFormValues(input: { typed?: Record<string, unknown>; editing?: CheckIn; carried: { checkInId: string; item: ActionItem }[]; settings: MentorshipSettings; formToken: string }) {
  const { typed, editing, settings } = input;
  const rows = Array.from({ length: ACTION_ROWS }, (_, i) => ({ index: i, number: i + 1, id: '', text: '', owner: 'candidate', due: '', isDone: false, from: '' }));
  if (typed) {
    for (const r of rows) {
      r.id = typedText(typed[`item_${r.index}_id`]);
      r.text = typedText(typed[`item_${r.index}_text`]);
      r.owner = typedText(typed[`item_${r.index}_owner`]) || 'candidate';
      r.due = typedText(typed[`item_${r.index}_due`]);
      r.isDone = typedText(typed[`item_${r.index}_done`]) === 'yes';
      r.from = typedText(typed[`item_${r.index}_from`]);
    }
    const v = (k: string) => typedText(typed[k]);
    return {
      checkInId: v('checkInId'), version: v('version'), formToken: v('formToken'), date: v('date'), time: v('time'), durationMinutes: v('durationMinutes'), mode: v('mode') || 'in-person', location: v('location'), template: v('template'), agenda: v('agenda'),
      goalIds: typedList(typed.goalIds), candidateNotes: v('candidateNotes'),
      pulse: Object.fromEntries(Object.keys(PULSE_SCALES).map((k) => [k, v(`pulse_${k}`)])) as Record<string, string>, pulseHelp: v('pulse_help'), pulseShare: v('pulse_share') === 'yes',
      rows,
    };
  }
  if (editing) {
    editing.actionItems.filter((i) => i.addedBy !== 'mentor').slice(0, ACTION_ROWS).forEach((item, i) => Object.assign(rows[i], { id: item.id, text: item.text, owner: item.owner, due: item.due ?? '', isDone: item.isDone, from: item.carriedFrom ?? '' }));
    const p = editing.pulse;
    return {
      checkInId: String(editing._id), version: String(editing.version), formToken: '', date: editing.date, time: editing.time ?? '', durationMinutes: String(editing.durationMinutes ?? ''), mode: editing.mode ?? 'in-person', location: editing.location ?? '', template: editing.template ?? 'open', agenda: editing.agenda ?? '',
      goalIds: editing.goalIds ?? [], candidateNotes: editing.candidateNotes ?? '',
      pulse: Object.fromEntries(Object.keys(PULSE_SCALES).map((k) => [k, p ? String((p as unknown as Record<string, number>)[k] ?? '') : ''])) as Record<string, string>, pulseHelp: p?.help ?? '', pulseShare: Boolean(p?.isSharedWithMentor),
      rows,
    };
  }
  // A new check-in starts with every open item of earlier ones, carried forward.
  input.carried.slice(0, ACTION_ROWS).forEach(({ checkInId, item }, i) => Object.assign(rows[i], { text: item.text, owner: item.owner, due: item.due ?? '', from: `${checkInId}:${item.id}` }));
  const template = settings.templates[0] ?? 'open';
  return {
    checkInId: '', version: '', formToken: input.formToken, date: '', time: '', durationMinutes: '60', mode: 'in-person', location: '', template, agenda: AGENDA_TEMPLATES[template].agenda,
    goalIds: [] as string[], candidateNotes: '', pulse: Object.fromEntries(Object.keys(PULSE_SCALES).map((k) => [k, ''])) as Record<string, string>, pulseHelp: '', pulseShare: false, rows,
  };
}
