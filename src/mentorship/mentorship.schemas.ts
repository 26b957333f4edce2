/**
 * Every mentorship form, as zod schemas. Checks that need more than one field (a planned meeting
 * in the past, an action item due before its meeting) live in checkInFormErrors, so a form that
 * fails them re-renders with everything typed and the error beside the field.
 */
import { z } from 'zod';
import { calendarDate, optionalFormNumber, yearsFromToday, type FieldErrors } from '../platform/validate';
import { AGENDA_TEMPLATES, type MentorshipSettings } from './mentorship-settings';

/** Action-item rows the check-in form carries (existing ones and blanks to add). */
export const ACTION_ROWS = 8;
const OBJECT_ID = /^[a-f0-9]{24}$/;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number, label: string) => z.preprocess((v) => (v === undefined || v === null ? '' : v), z.string({ invalid_type_error: `${label} must be text.` }).trim().max(max, `${label} can be at most ${max.toLocaleString('en-US')} characters.`));
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));
/** Meetings are planned up to a year ahead and recorded back to 2000 (a typo like 0202 is refused). */
const meetingDate = calendarDate({ min: '2000-01-01', max: yearsFromToday(1) });
const scale = optionalFormNumber('Choose a number from 1 to 5.', (n) => n.int('Choose a number from 1 to 5.').min(1, 'Choose a number from 1 to 5.').max(5, 'Choose a number from 1 to 5.'));
const version = optionalFormNumber('Reload the page and try again.', (n) => n.int().min(1));
const templateIds = Object.keys(AGENDA_TEMPLATES) as [keyof typeof AGENDA_TEMPLATES, ...(keyof typeof AGENDA_TEMPLATES)[]];

const rowFields = Object.fromEntries(
  Array.from({ length: ACTION_ROWS }, (_, i) => [
    [`item_${i}_id`, z.preprocess(blank, z.string().regex(/^[a-z0-9-]{1,40}$/).optional())],
    [`item_${i}_text`, text(500, 'An action item')],
    [`item_${i}_owner`, z.preprocess(blank, z.enum(['candidate', 'mentor'], { errorMap: () => ({ message: 'Choose who owns the item.' }) }).default('candidate'))],
    [`item_${i}_due`, z.preprocess(blank, meetingDate.optional())],
    [`item_${i}_done`, z.preprocess(blank, z.enum(['yes']).optional())],
    [`item_${i}_from`, z.preprocess(blank, z.string().regex(/^[a-f0-9]{24}:[a-z0-9-]{1,40}$/).optional())],
  ]).flat(),
) as Record<string, z.ZodTypeAny>;

export const checkInFormSchema = z.object({
  checkInId: z.preprocess(blank, z.string().regex(OBJECT_ID, 'Reload the page and try again.').optional()),
  version,
  formToken: z.preprocess(blank, z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional()),
  intent: z.enum(['draft', 'plan', 'record'], { errorMap: () => ({ message: 'Choose “Plan”, “Record as held” or “Save draft”.' }) }),
  date: z.preprocess(blank, meetingDate.optional()),
  time: z.preprocess(blank, z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use a time such as 15:30.').optional()),
  durationMinutes: optionalFormNumber('Enter the length in minutes.', (n) => n.int('Enter whole minutes.').min(5, 'At least 5 minutes.').max(600, 'At most 600 minutes (10 hours).')),
  mode: z.preprocess(blank, z.enum(['in-person', 'video', 'phone'], { errorMap: () => ({ message: 'Choose in person, video or phone.' }) }).default('in-person')),
  location: text(500, 'The place or link'),
  template: z.preprocess(blank, z.enum(templateIds, { errorMap: () => ({ message: 'Choose an agenda template.' }) }).default('open')),
  agenda: text(5000, 'The agenda'),
  goalIds: list(z.string().regex(OBJECT_ID, 'Unknown goal.')),
  candidateNotes: text(10000, 'Your notes'),
  pulse_workload: scale,
  pulse_support: scale,
  pulse_confidence: scale,
  pulse_connection: scale,
  pulse_help: text(2000, '“What would help”'),
  pulse_share: z.preprocess(blank, z.enum(['yes']).optional()),
  ...rowFields,
});
export type CheckInForm = z.infer<typeof checkInFormSchema>;

export interface ActionItemInput {
  id?: string;
  text: string;
  owner: 'candidate' | 'mentor';
  due: string | null;
  isDone: boolean;
  carriedFrom: string | null;
  row: number;
}

/** The action-item rows that hold text (a row left blank adds nothing). */
export function actionItemsOf(form: Record<string, unknown>): ActionItemInput[] {
  const out: ActionItemInput[] = [];
  for (let i = 0; i < ACTION_ROWS; i++) {
    const t = form[`item_${i}_text`] as string | undefined;
    if (!t) continue;
    out.push({ id: form[`item_${i}_id`] as string | undefined, text: t, owner: (form[`item_${i}_owner`] as 'candidate' | 'mentor') ?? 'candidate', due: (form[`item_${i}_due`] as string | undefined) ?? null, isDone: form[`item_${i}_done`] === 'yes', carriedFrom: (form[`item_${i}_from`] as string | undefined) ?? null, row: i });
  }
  return out;
}

export const PULSE_SCALES = {
  workload: 'My workload feels manageable',
  support: 'I feel supported at my site',
  confidence: 'I feel confident as a leader',
  connection: 'I feel connected to colleagues',
} as const;

/** The pulse as stored, or null when no scale was answered; a half-answered pulse is an error. */
export function pulseOf(form: CheckInForm): { value: { workload: number; support: number; confidence: number; connection: number; help: string; isSharedWithMentor: boolean } | null; errors: FieldErrors } {
  const keys = Object.keys(PULSE_SCALES) as (keyof typeof PULSE_SCALES)[];
  const answered = keys.filter((k) => form[`pulse_${k}`] !== undefined);
  if (answered.length === 0) return { value: null, errors: {} };
  if (answered.length < keys.length) {
    return { value: null, errors: Object.fromEntries(keys.filter((k) => !answered.includes(k)).map((k) => [`pulse_${k}`, 'Answer every question of the pulse, or none.'])) };
  }
  const n = (k: keyof typeof PULSE_SCALES) => form[`pulse_${k}`] as number;
  return { value: { workload: n('workload'), support: n('support'), confidence: n('confidence'), connection: n('connection'), help: form.pulse_help, isSharedWithMentor: form.pulse_share === 'yes' }, errors: {} };
}

/**
 * What a check-in form still lacks for its intent: a date; planned meetings ahead (a past date can
 * only be "held"), held ones not in the future; action items not due before the meeting; and, to
 * record one as held, the parts the placement requires.
 */
export function checkInFormErrors(form: CheckInForm, settings: MentorshipSettings, today: string, known: { goalIds: readonly string[] }): FieldErrors {
  // A draft keeps whatever was typed; only planning or recording it asks for more.
  if (form.intent === 'draft') return form.goalIds.some((id) => !known.goalIds.includes(id)) ? { goalIds: 'Choose among your own goals.' } : {};
  const errors: FieldErrors = { ...pulseOf(form).errors };
  if (!form.date) errors.date = 'Enter the date of the meeting.';
  else if (form.intent === 'plan' && form.date < today) errors.date = 'A meeting in the past can only be recorded as held: choose “Record as held”.';
  else if (form.intent === 'record' && form.date > today) errors.date = 'A meeting that has not happened yet can only be planned.';
  const items = actionItemsOf(form as Record<string, unknown>);
  for (const item of items) if (form.date && item.due && item.due < form.date) errors[`item_${item.row}_due`] = 'An action item cannot be due before the meeting.';
  const unknownGoal = form.goalIds.find((id) => !known.goalIds.includes(id));
  if (unknownGoal) errors.goalIds = 'Choose among your own goals.';
  if (form.intent === 'record') {
    const need = new Set(settings.requiredParts);
    if (need.has('agenda') && !form.agenda) errors.agenda = 'Write the agenda (or start from a template).';
    if (need.has('goals') && form.goalIds.length === 0) errors.goalIds = errors.goalIds ?? 'Tick at least one goal you discussed (add a goal first if you have none).';
    if (need.has('candidateNotes') && !form.candidateNotes) errors.candidateNotes = 'Write your notes from the meeting.';
    if (need.has('actionItems') && items.length === 0) errors.item_0_text = 'Add at least one action item.';
    if (need.has('pulse') && !pulseOf(form).value && !errors.pulse_workload) errors.pulse_workload = 'Answer the pulse questions.';
  }
  return errors;
}

const entries = list(z.string().regex(/^[a-f0-9]{24}:\d{1,9}$/, 'Reload the page and try again.')).refine((v) => v.length > 0, 'Tick at least one check-in.').refine((v) => v.length <= 100, 'At most 100 check-ins at a time.');

/** Mentor: sign off / ask for changes (one check-in or a batch), with an optional (changes: required) comment. */
export const reviewSchema = z
  .object({
    checkIns: entries,
    intent: z.enum(['sign-off', 'request-changes'], { errorMap: () => ({ message: 'Choose “Sign off” or “Ask for changes”.' }) }),
    comment: text(2000, 'The comment'),
  })
  .refine((v) => v.intent !== 'request-changes' || v.comment.length > 0, { message: 'Say what should change.', path: ['comment'] });

/** Faculty: return a check-in to the candidate with a comment. */
export const returnSchema = z.object({ checkIns: entries, comment: text(2000, 'The comment').refine((c) => c.length > 0, 'Say what should change.') });

/** Mentor: their notes and action items on one check-in. */
export const mentorNotesSchema = z.object({
  checkIn: z.string().regex(/^[a-f0-9]{24}:\d{1,9}$/, 'Reload the page and try again.'),
  mentorNotes: text(10000, 'Your notes'),
  ...Object.fromEntries(
    [0, 1, 2].flatMap((i) => [
      [`item_${i}_text`, text(500, 'An action item')],
      [`item_${i}_owner`, z.preprocess(blank, z.enum(['candidate', 'mentor']).default('mentor'))],
      [`item_${i}_due`, z.preprocess(blank, meetingDate.optional())],
    ]),
  ),
});

export const goalFormSchema = z.object({
  goalId: z.preprocess(blank, z.string().regex(OBJECT_ID, 'Reload the page and try again.').optional()),
  version,
  title: z.preprocess((v) => (v === undefined ? '' : v), z.string({ invalid_type_error: 'The goal must be text.' }).trim().min(1, 'Name the goal.').max(200, 'At most 200 characters.')),
  specific: text(2000, '“Specific”'),
  measurable: text(2000, '“Measurable”'),
  achievable: text(2000, '“Achievable”'),
  relevant: text(2000, '“Relevant”'),
  targetDate: z.preprocess(blank, meetingDate.optional()),
  standards: list(z.string().max(20)),
  status: z.preprocess(blank, z.enum(['active', 'achieved', 'dropped'], { errorMap: () => ({ message: 'Choose the goal’s status.' }) }).default('active')),
  progressPercent: optionalFormNumber('Enter a percentage from 0 to 100.', (n) => n.min(0, 'From 0 to 100.').max(100, 'From 0 to 100.')),
  progressNote: text(1000, 'The progress note'),
});
export type GoalForm = z.infer<typeof goalFormSchema>;

export function parseRefs(values: string[]): { id: string; version: number }[] {
  return values.map((v) => {
    const [id, n] = v.split(':');
    return { id, version: Number(n) };
  });
}
