/**
 * What a mentorship check-in activity stores in Activity.settings, and the picker fieldset that
 * sets it. Picker fields are prefixed `ci_`: every kind's fieldset posts in the same form, and the
 * practicum log already uses names such as termStart and gradingMode.
 */
import { z } from 'zod';
import { longDate, optionalFormNumber, typedList, typedText } from '../platform/validate';
import { FRAMEWORK_IDS } from '../practicum/rule-packs';
import { frameworkTitle, termDate } from '../practicum/practicum-settings';

/** Parts of a check-in a placement can require before it counts as held. */
export const CHECKIN_PARTS = {
  agenda: 'Agenda',
  goals: 'Goals discussed',
  candidateNotes: 'Candidate’s notes',
  mentorNotes: 'Mentor’s notes',
  actionItems: 'Action items',
  pulse: 'Wellbeing and support pulse',
} as const;
export type CheckInPart = keyof typeof CHECKIN_PARTS;
const partIds = Object.keys(CHECKIN_PARTS) as [CheckInPart, ...CheckInPart[]];

/** Agenda templates: a starting agenda the candidate edits (Texas asks for pre- and post-observation conferences). */
export const AGENDA_TEMPLATES = {
  'goal-setting': { label: 'Goal setting', agenda: 'Where I am now\nGoals for this term (SMART)\nSupport I need\nNext steps' },
  'pre-observation': { label: 'Pre-observation conference', agenda: 'Lesson or meeting to be observed\nFocus of the observation\nEvidence to collect\nQuestions for the observer' },
  'post-observation': { label: 'Post-observation conference', agenda: 'What went well\nEvidence observed\nWhat to change\nAgreed next steps' },
  'mid-term': { label: 'Mid-term review', agenda: 'Progress on goals\nHours and requirements so far\nConcerns\nPlan for the rest of the term' },
  open: { label: 'Open agenda', agenda: '' },
} as const;
export type AgendaTemplate = keyof typeof AGENDA_TEMPLATES;
const templateIds = Object.keys(AGENDA_TEMPLATES) as [AgendaTemplate, ...AgendaTemplate[]];

export const CADENCE_MODES = { every: 'Every few days (e.g. every two weeks)', 'per-term': 'A number of check-ins per term' } as const;
export const MENTORSHIP_GRADING = { completion: 'Completion (check-ins held against the number required)', 'faculty-score': 'Faculty score (you send the score yourself)' } as const;

const storedDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const mentorshipSettingsSchema = z.object({
  cadence: z.enum(['every', 'per-term']),
  everyDays: z.number().int().min(1).max(120),
  perTerm: z.number().int().min(1).max(60),
  termStart: storedDate.nullable(),
  termEnd: storedDate.nullable(),
  graceDays: z.number().int().min(0).max(30),
  requiredParts: z.array(z.enum(partIds)),
  requiresSignOff: z.boolean(),
  templates: z.array(z.enum(templateIds)).min(1),
  frameworkId: z.enum(FRAMEWORK_IDS),
  gradingMode: z.enum(['completion', 'faculty-score']),
  /** A signed-off check-in's duration is offered to the course's practicum log as a draft entry. */
  countTowardPracticum: z.boolean(),
});
export type MentorshipSettings = z.infer<typeof mentorshipSettingsSchema>;

export function defaultMentorshipSettings(): MentorshipSettings {
  return {
    cadence: 'every',
    everyDays: 14,
    perTerm: 6,
    termStart: null,
    termEnd: null,
    graceDays: 3,
    requiredParts: ['agenda', 'candidateNotes', 'actionItems'],
    requiresSignOff: true,
    templates: [...templateIds],
    frameworkId: 'PSEL-2015',
    gradingMode: 'completion',
    countTowardPracticum: false,
  };
}

/** Settings of a stored activity; one stored before a field existed gets the defaults. */
export function readMentorshipSettings(stored: unknown): MentorshipSettings {
  const parsed = mentorshipSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : defaultMentorshipSettings();
}

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));
const wholeNumber = (min: number, max: number) => optionalFormNumber('Enter a whole number.', (n) => n.int('Enter a whole number.').min(min, `At least ${min}.`).max(max, `At most ${max}.`));

/** The picker's check-in fieldset; a blank field takes the default. */
export const mentorshipSettingsFormSchema = z
  .object({
    ci_cadence: z.preprocess(blank, z.enum(['every', 'per-term'], { errorMap: () => ({ message: 'Choose how often candidates meet their mentor.' }) }).default('every')),
    ci_everyDays: wholeNumber(1, 120),
    ci_perTerm: wholeNumber(1, 60),
    ci_termStart: z.preprocess(blank, termDate.optional()),
    ci_termEnd: z.preprocess(blank, termDate.optional()),
    ci_graceDays: wholeNumber(0, 30),
    ci_requiredParts: list(z.enum(partIds, { errorMap: () => ({ message: 'Unknown part of a check-in.' }) })),
    ci_requiresSignOff: z.preprocess(blank, z.enum(['yes', 'no'], { errorMap: () => ({ message: 'Choose whether the mentor signs off.' }) }).default('yes')),
    ci_templates: list(z.enum(templateIds, { errorMap: () => ({ message: 'Unknown agenda template.' }) })),
    ci_frameworkId: z.preprocess(blank, z.enum(FRAMEWORK_IDS, { errorMap: () => ({ message: 'Choose a standards framework.' }) }).default('PSEL-2015')),
    ci_gradingMode: z.preprocess(blank, z.enum(['completion', 'faculty-score'], { errorMap: () => ({ message: 'Choose how the activity is graded.' }) }).default('completion')),
    ci_countTowardPracticum: z.preprocess(blank, z.enum(['yes', 'no']).default('no')),
  })
  .refine((v) => !v.ci_termStart || !v.ci_termEnd || v.ci_termStart <= v.ci_termEnd, { message: 'The term must end after it starts.', path: ['ci_termEnd'] })
  .refine((v) => v.ci_cadence !== 'per-term' || (v.ci_termStart && v.ci_termEnd), { message: 'A number per term needs the term’s first and last day.', path: ['ci_termStart'] });

export function mentorshipSettingsFromForm(form: z.infer<typeof mentorshipSettingsFormSchema>): MentorshipSettings {
  const base = defaultMentorshipSettings();
  return {
    cadence: form.ci_cadence,
    everyDays: form.ci_everyDays ?? base.everyDays,
    perTerm: form.ci_perTerm ?? base.perTerm,
    termStart: form.ci_termStart ?? null,
    termEnd: form.ci_termEnd ?? null,
    graceDays: form.ci_graceDays ?? base.graceDays,
    // The picker shows the defaults ticked, so an unticked list means "none required".
    requiredParts: [...new Set(form.ci_requiredParts)],
    requiresSignOff: form.ci_requiresSignOff === 'yes',
    templates: form.ci_templates.length ? [...new Set(form.ci_templates)] : base.templates,
    frameworkId: form.ci_frameworkId,
    gradingMode: form.ci_gradingMode,
    countTowardPracticum: form.ci_countTowardPracticum === 'yes',
  };
}

/** The fieldset's context: what was typed, or the defaults on a first visit. */
export function presentMentorshipPicker(values: Record<string, unknown> = {}) {
  const isFirstVisit = !('ci_cadence' in values);
  const d = defaultMentorshipSettings();
  const parts = isFirstVisit ? d.requiredParts : typedList(values.ci_requiredParts);
  const templates = isFirstVisit ? d.templates : typedList(values.ci_templates);
  const cadence = typedText(values.ci_cadence) || d.cadence;
  return {
    cadences: Object.entries(CADENCE_MODES).map(([value, label]) => ({ value, label, checked: value === cadence })),
    everyDays: isFirstVisit ? String(d.everyDays) : typedText(values.ci_everyDays),
    perTerm: isFirstVisit ? String(d.perTerm) : typedText(values.ci_perTerm),
    termStart: typedText(values.ci_termStart),
    termEnd: typedText(values.ci_termEnd),
    graceDays: isFirstVisit ? String(d.graceDays) : typedText(values.ci_graceDays),
    parts: Object.entries(CHECKIN_PARTS).map(([value, label]) => ({ value, label, checked: parts.includes(value) })),
    requiresSignOff: (typedText(values.ci_requiresSignOff) || 'yes') === 'yes',
    templates: Object.entries(AGENDA_TEMPLATES).map(([value, t]) => ({ value, label: t.label, checked: templates.includes(value) })),
    frameworks: FRAMEWORK_IDS.map((id) => ({ value: id, label: frameworkTitle(id), selected: id === (typedText(values.ci_frameworkId) || d.frameworkId) })),
    gradingModes: Object.entries(MENTORSHIP_GRADING).map(([value, label]) => ({ value, label, checked: value === (typedText(values.ci_gradingMode) || 'completion') })),
    countTowardPracticum: typedText(values.ci_countTowardPracticum) === 'yes',
  };
}

export function cadenceText(s: MentorshipSettings): string {
  const term = s.termStart && s.termEnd ? ` from ${longDate(s.termStart)} to ${longDate(s.termEnd)}` : '';
  const grace = s.graceDays ? `; a check-in counts as late ${s.graceDays} day${s.graceDays === 1 ? '' : 's'} after its due date` : '';
  return s.cadence === 'every' ? `A check-in with the mentor every ${s.everyDays} days${term}${grace}` : `${s.perTerm} check-ins with the mentor${term}${grace}`;
}

export function describeMentorshipSettings(stored: unknown): { label: string; value: string }[] {
  const s = readMentorshipSettings(stored);
  return [
    { label: 'Cadence', value: cadenceText(s) },
    { label: 'Required in each check-in', value: s.requiredParts.length ? s.requiredParts.map((p) => CHECKIN_PARTS[p]).join(', ') : 'Nothing beyond the date' },
    { label: 'Mentor sign-off', value: s.requiresSignOff ? 'Required' : 'Not required' },
    { label: 'Agenda templates', value: s.templates.map((t) => AGENDA_TEMPLATES[t].label).join(', ') },
    { label: 'Standards for goals', value: frameworkTitle(s.frameworkId) },
    { label: 'Grading', value: MENTORSHIP_GRADING[s.gradingMode] },
    { label: 'Counts toward the practicum log', value: s.countTowardPracticum ? 'Yes, as “mentoring” hours' : 'No' },
  ];
}
