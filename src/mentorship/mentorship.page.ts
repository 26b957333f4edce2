/** Loads what one caller's mentorship screen shows, scoped by the policy, and builds its view model. */
import { randomBytes } from 'node:crypto';
import type { Activity } from '../activities/activity.model';
import { listCourseMembers } from '../courses/course-membership.service';
import { listCourseMentors } from '../courses/course-mentors.service';
import type { Caller } from '../lti/caller';
import { withTransientRetry } from '../platform/transient';
import { longDate, type FieldErrors } from '../platform/validate';
import { frameworkElements } from '../practicum/practicum-settings';
import { CheckInModel, type CheckIn } from './checkin.model';
import { MentorshipAuditModel, type MentorshipAudit } from './checkin-audit.model';
import { addDays, carriedKeys, computeCompliance, openActionItems } from './compliance';
import { cadenceStart } from './mentorship-grade';
import { MentorshipGoalModel, type MentorshipGoal } from './mentorship-goal.model';
import { checkInScope, mentorshipView } from './mentorship.policy';
import { auditSubjects, checkInFormValues, presentAudit, presentCheckIn, presentCompliance, presentGoal } from './mentorship.presenter';
import { PULSE_SCALES } from './mentorship.schemas';
import { AGENDA_TEMPLATES, cadenceText, readMentorshipSettings, type MentorshipSettings } from './mentorship-settings';
import { DUE_SOON_DAYS, listReminders, MENTORSHIP_REMINDERS_JOB, type Reminder } from './reminders';
import { lastJobRuns } from '../jobs/scheduler';
import { formatInstant, presentGradeSyncRow } from '../grading/grade-sync.presenter';
import { getGradeSync } from '../grading/outbox.service';
import type { Compliance } from './compliance';

export interface MentorshipPageOptions {
  ltik: string;
  today: string;
  flash?: { tone: 'success' | 'danger' | 'warning'; text: string } | null;
  failures?: string[];
  /** The check-in form as typed, with its errors (a failed post). */
  form?: { values: Record<string, unknown>; errors: FieldErrors };
  goalForm?: { values: Record<string, unknown>; errors: FieldErrors };
  /** ?edit=<check-in id> / ?goal=<goal id>: the candidate's own record opened in the form. */
  editId?: string;
  goalId?: string;
  /** The mentor's review form as typed (comment, ticked check-ins, errors). */
  review?: { comment: string; selected: string[]; errors: FieldErrors };
  /** The check-in a form post just saved: the autosave script drops its on-device copies of it. */
  savedId?: string;
  /** The mentor form as typed, with its errors. */
  mentorForm?: { values: Record<string, unknown>; errors: FieldErrors };
}

/** Per candidate, the names of the course's mentors whose LMS launches name them as a mentee. */
async function lmsMentorNames(activity: Activity): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const m of await listCourseMembers(activity, 'mentor')) {
    if (m.isTestUser) continue;
    for (const sub of m.menteeSubs ?? []) out.set(sub, [...(out.get(sub) ?? []), m.name || 'Your mentor']);
  }
  return out;
}

const textOf = (v: unknown) => (typeof v === 'string' ? v : '');

export function todayIso(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

const byCandidate = <T extends { candidateSub: string }>(rows: T[]) => {
  const map = new Map<string, T[]>();
  for (const r of rows) map.set(r.candidateSub, [...(map.get(r.candidateSub) ?? []), r]);
  return map;
};

export function standardNames(settings: MentorshipSettings) {
  const elements = frameworkElements(settings.frameworkId);
  const names = new Map(elements.map((e) => [e.id, e.label]));
  return { elements, nameOf: (id: string) => names.get(id) ?? id };
}

export async function buildMentorshipPage(caller: Caller, activity: Activity, options: MentorshipPageOptions) {
  const view = mentorshipView(caller, activity);
  const settings = readMentorshipSettings(activity.settings);
  const base = {
    ltik: options.ltik,
    aid: String(activity._id),
    view,
    isCandidate: view === 'candidate',
    isMentor: view === 'mentor',
    isFaculty: view === 'faculty',
    isCoordinator: view === 'coordinator',
    isNone: view === 'none',
    flash: options.flash ?? null,
    failures: options.failures ?? [],
    cadence: cadenceText(settings),
    requiresSignOff: settings.requiresSignOff,
  };
  if (view === 'none') return base;
  const scope = checkInScope(caller, activity);
  const start = cadenceStart(activity);
  const { elements, nameOf } = standardNames(settings);

  if (view === 'candidate') {
    const [checkIns, goals, trail, [mentor], lmsMentors] = await Promise.all([
      withTransientRetry(() => CheckInModel.find(scope).sort({ date: 1, createdAt: 1 }).limit(500).lean<CheckIn[]>()),
      withTransientRetry(() => MentorshipGoalModel.find(scope).sort({ createdAt: 1 }).limit(100).lean<MentorshipGoal[]>()),
      withTransientRetry(() => MentorshipAuditModel.find({ activityId: activity._id, candidateSub: caller.sub }).sort({ at: -1 }).limit(50).lean<MentorshipAudit[]>()),
      listCourseMentors(activity, [caller.sub]),
      lmsMentorNames(activity),
    ]);
    const compliance = computeCompliance(settings, checkIns, options.today, start);
    const editing = options.editId ? checkIns.find((c) => String(c._id) === options.editId && c.status !== 'signed-off') : undefined;
    const values = checkInFormValues({ typed: options.form?.values, editing, carried: openActionItems(checkIns), settings, formToken: randomBytes(12).toString('base64url') });
    const copyKey = (id: string) => `fieldbook-mentorship:${String(activity._id)}:${caller.sub}:${id}`;
    const carriedOn = carriedKeys(checkIns);
    const editingGoal = options.goalId ? goals.find((g) => String(g._id) === options.goalId) : undefined;
    return {
      ...base,
      compliance: presentCompliance(compliance, settings),
      mentor: mentor ? { name: mentor.name, email: mentor.email, statusLabel: mentor.statusLabel } : null,
      lmsMentors: lmsMentors.get(caller.sub) ?? [],
      mentorForm: {
        values: { mentorName: textOf(options.mentorForm?.values.mentorName) || (options.mentorForm ? '' : (mentor?.name ?? '')), mentorEmail: textOf(options.mentorForm?.values.mentorEmail) || (options.mentorForm ? '' : (mentor?.email ?? '')) },
        errors: options.mentorForm?.errors ?? {},
      },
      checkIns: [...checkIns].reverse().map((c) => presentCheckIn(c, view, options.today, { ...settings, carriedOn })),
      goals: goals.map((g) => presentGoal(g, nameOf)),
      form: {
        values,
        errors: options.form?.errors ?? {},
        hasErrors: Boolean(options.form && Object.keys(options.form.errors).length),
        isEditing: Boolean(values.checkInId),
        templates: settings.templates.map((t) => ({ value: t, label: AGENDA_TEMPLATES[t].label, agenda: AGENDA_TEMPLATES[t].agenda, selected: t === values.template })),
        modes: [
          { value: 'in-person', label: 'In person' },
          { value: 'video', label: 'Video call' },
          { value: 'phone', label: 'Phone call' },
        ].map((m) => ({ ...m, selected: m.value === values.mode })),
        goals: goals.filter((g) => g.status === 'active' || values.goalIds.includes(String(g._id))).map((g) => ({ id: String(g._id), title: g.title, checked: values.goalIds.includes(String(g._id)) })),
        pulse: Object.entries(PULSE_SCALES).map(([key, label]) => ({ key, label, options: [1, 2, 3, 4, 5].map((n) => ({ n, checked: values.pulse[key] === String(n) })) })),
        required: Object.fromEntries(settings.requiredParts.map((p) => [p, true])),
      },
      goalForm: presentGoalForm(options.goalForm, editingGoal, elements),
      autosave: {
        key: copyKey(values.checkInId || 'new'),
        renderedAt: editing ? new Date(editing.updatedAt ?? 0).getTime() : 0,
        clear: options.savedId ? [copyKey('new'), copyKey(options.savedId)].join(' ') : '',
      },
      trail: trail.map((t) => presentAudit(t, auditSubjects(checkIns, goals))),
    };
  }

  // Mentor, faculty, coordinator: the candidates the scope covers.
  const [checkIns, roster, mentors, lmsMentors] = await Promise.all([
    withTransientRetry(() => CheckInModel.find(scope).sort({ date: 1, createdAt: 1 }).limit(5000).lean<CheckIn[]>()),
    view === 'mentor' ? Promise.resolve([]) : listCourseMembers(activity, 'candidate'),
    listCourseMentors(activity, view === 'mentor' ? caller.menteeSubs : undefined),
    lmsMentorNames(activity),
  ]);
  const grouped = byCandidate(checkIns);
  const [reminders, [lastRun]] = view === 'faculty' ? await Promise.all([listReminders(String(activity._id)), lastJobRuns(MENTORSHIP_REMINDERS_JOB, 1)]) : [[], []];
  const lastReminder = new Map<string, Reminder>();
  for (const r of reminders) if (r.candidateSub && !lastReminder.has(r.candidateSub)) lastReminder.set(r.candidateSub, r);
  const names = new Map<string, string>([...roster.filter((m) => !m.isTestUser).map((m) => [m.sub, m.name] as const), ...checkIns.map((c) => [c.candidateSub, c.candidateName] as const)]);
  if (view === 'mentor') for (const sub of caller.menteeSubs) if (!names.has(sub)) names.set(sub, '');
  // The emailed course mentor and any mentor the LMS names (from their launches), in one line.
  const mentorOf = new Map([...new Set([...mentors.map((m) => m.candidateSub), ...lmsMentors.keys()])].map((sub) => [sub, [...new Set([mentors.find((m) => m.candidateSub === sub)?.name, ...(lmsMentors.get(sub) ?? [])].filter(Boolean))].join(', ')]));
  const rows = [...names]
    .map(([sub, name]) => {
      const own = grouped.get(sub) ?? [];
      const c = presentCompliance(computeCompliance(settings, own, options.today, start), settings);
      return { sub, name: name || 'Candidate not yet launched', mentor: mentorOf.get(sub) ?? null, compliance: c, reminder: view === 'faculty' ? presentReminder(lastReminder.get(sub), c, settings, options.today) : null, href: `/lti/mentorship/candidates/${encodeURIComponent(sub)}?ltik=${encodeURIComponent(options.ltik)}&aid=${String(activity._id)}` };
    })
    .sort((a, b) => Number(b.compliance.isOverdue) - Number(a.compliance.isOverdue) || a.name.localeCompare(b.name));
  const awaiting = checkIns.filter((c) => c.status === 'held').sort((a, b) => a.date.localeCompare(b.date));
  const carriedOn = carriedKeys(checkIns);
  const present = (c: CheckIn) => presentCheckIn(c, view, options.today, { ...settings, carriedOn });
  const selected = new Set(options.review?.selected ?? []);
  return {
    ...base,
    rows,
    summary: {
      candidates: rows.length,
      overdue: rows.filter((r) => r.compliance.isOverdue).length,
      flags: rows.filter((r) => r.compliance.hasPulseFlag).length,
      awaiting: awaiting.length,
      complete: rows.filter((r) => r.compliance.isComplete).length,
    },
    awaiting: awaiting.map((c) => ({ ...present(c), isSelected: selected.has(`${String(c._id)}:${c.version}`) })),
    upcoming: checkIns.filter((c) => c.status === 'planned' && c.date >= options.today).map(present),
    review: { comment: options.review?.comment ?? '', errors: options.review?.errors ?? {} },
    canReview: view === 'mentor',
    canOpenCandidate: view === 'faculty' || view === 'coordinator' || view === 'mentor',
    showPulseFlags: view === 'faculty' || view === 'coordinator',
    exportHref: view === 'faculty' || view === 'coordinator' ? `/lti/mentorship/export.csv?ltik=${encodeURIComponent(options.ltik)}&aid=${String(activity._id)}` : null,
    longToday: longDate(options.today),
    showReminders: view === 'faculty',
    remindersRun: lastRun ? { at: formatInstant(lastRun.finishedAt ?? lastRun.startedAt), failed: lastRun.outcome === 'failed' } : null,
  };
}

const REMINDER_WORDS: Record<string, string> = { 'due-soon': 'Due-soon reminder', overdue: 'Overdue reminder' };

/** Faculty's view of one candidate's reminders: the last one (sent, or why not) and the next one planned. */
function presentReminder(last: Reminder | undefined, c: Compliance, settings: MentorshipSettings, today: string) {
  const word = last ? (REMINDER_WORDS[last.kind] ?? 'Reminder') : '';
  const lastText = !last ? 'None sent yet' : last.state === 'sent' ? `${word} sent` : last.state === 'failed' ? `${word} not sent: ${last.reason ?? 'the mail server refused it'}` : last.state === 'skipped' ? `${word} not sent: ${last.reason ?? ''}` : `${word} being sent`;
  let next: string;
  if (c.isComplete || !c.nextDue) next = 'None needed';
  else if (c.nextPlanned && c.nextPlanned <= addDays(c.nextDue, settings.graceDays)) next = 'None needed: a meeting is planned';
  else if (c.isOverdue) next = last?.kind === 'overdue' ? 'None (the overdue reminder went out)' : 'Overdue reminder at the next hourly run';
  else {
    const on = addDays(c.nextDue, -DUE_SOON_DAYS);
    next = on <= today ? 'Due-soon reminder at the next hourly run' : `Due-soon reminder on ${longDate(on)}`;
  }
  return { last: lastText, at: last?.sentAt ? formatInstant(last.sentAt) : null, isFailed: last?.state === 'failed', next };
}

function presentGoalForm(form: MentorshipPageOptions['goalForm'], editing: MentorshipGoal | undefined, elements: { id: string; label: string }[]) {
  const typed = form?.values;
  const text = (k: string) => (typeof typed?.[k] === 'string' ? (typed[k] as string) : '');
  const values = typed
    ? { goalId: text('goalId'), version: text('version'), title: text('title'), specific: text('specific'), measurable: text('measurable'), achievable: text('achievable'), relevant: text('relevant'), targetDate: text('targetDate'), status: text('status') || 'active', progressPercent: text('progressPercent'), progressNote: text('progressNote'), standards: Array.isArray(typed.standards) ? (typed.standards as string[]) : typed.standards ? [String(typed.standards)] : [] }
    : editing
      ? { goalId: String(editing._id), version: String(editing.version), title: editing.title, specific: editing.specific, measurable: editing.measurable, achievable: editing.achievable, relevant: editing.relevant, targetDate: editing.targetDate ?? '', status: editing.status, progressPercent: '', progressNote: '', standards: editing.standards ?? [] }
      : { goalId: '', version: '', title: '', specific: '', measurable: '', achievable: '', relevant: '', targetDate: '', status: 'active', progressPercent: '', progressNote: '', standards: [] as string[] };
  return {
    values,
    errors: form?.errors ?? {},
    isEditing: Boolean(values.goalId),
    standards: elements.map((e) => ({ ...e, checked: values.standards.includes(e.id) })),
    statuses: [
      { value: 'active', label: 'In progress' },
      { value: 'achieved', label: 'Achieved' },
      { value: 'dropped', label: 'Set aside' },
    ].map((s) => ({ ...s, selected: s.value === values.status })),
  };
}

/** One candidate's whole history (faculty, coordinator, their mentor): check-ins, goals, audit, compliance. */
export async function buildCandidateHistory(caller: Caller, activity: Activity, candidateSub: string, today: string) {
  const view = mentorshipView(caller, activity);
  const settings = readMentorshipSettings(activity.settings);
  const scope = { ...checkInScope(caller, activity), candidateSub };
  const [checkIns, goals, trail, sync] = await Promise.all([
    withTransientRetry(() => CheckInModel.find(scope).sort({ date: 1, createdAt: 1 }).limit(500).lean<CheckIn[]>()),
    withTransientRetry(() => MentorshipGoalModel.find(scope).sort({ createdAt: 1 }).limit(100).lean<MentorshipGoal[]>()),
    view === 'mentor' ? Promise.resolve([]) : withTransientRetry(() => MentorshipAuditModel.find({ activityId: activity._id, candidateSub }).sort({ at: -1 }).limit(200).lean<MentorshipAudit[]>()),
    view === 'faculty' ? getGradeSync(String(activity._id), candidateSub) : Promise.resolve(null),
  ]);
  const { nameOf } = standardNames(settings);
  const compliance = presentCompliance(computeCompliance(settings, checkIns, today, cadenceStart(activity)), settings);
  const carriedOn = carriedKeys(checkIns);
  return {
    view,
    compliance,
    checkIns: [...checkIns].reverse().map((c) => presentCheckIn(c, view, today, { ...settings, carriedOn })),
    goals: goals.map((g) => presentGoal(g, nameOf)),
    trail: trail.map((t) => presentAudit(t, auditSubjects(checkIns, goals))),
    canReturn: view === 'faculty',
    showGrade: view === 'faculty',
    gradeSync: sync ? presentGradeSyncRow(sync) : null,
    name: checkIns.find((c) => c.candidateName)?.candidateName ?? '',
  };
}
