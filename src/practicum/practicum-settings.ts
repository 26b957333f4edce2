import { z } from 'zod';
import { calendarDate, optionalFormNumber, yearsFromToday } from '../platform/validate';
import frameworks from './standards-frameworks.json';
import type { Term } from './progress.service';
import {
  ACTIVITY_CATEGORIES,
  DEFAULT_RULE_PACK,
  FRAMEWORK_IDS,
  GRADE_BANDS,
  POPULATIONS,
  RULE_PACK_IDS,
  rulePack,
  type ActivityCategory,
  type GradeBand,
  type Population,
  type RulePack,
} from './rule-packs';

const categoryIds = Object.keys(ACTIVITY_CATEGORIES) as [ActivityCategory, ...ActivityCategory[]];
const bandIds = Object.keys(GRADE_BANDS) as [GradeBand, ...GradeBand[]];
const populationIds = Object.keys(POPULATIONS) as [Population, ...Population[]];
/**
 * Term dates as stored: only the format is checked on read, so an activity stored before dates were
 * checked keeps its settings (a failed read falls back to every default, not just the term).
 */
const storedDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
/** Term dates as typed: real days; a term is set up ahead of time and may run a year, hence +2 years. */
export const termDate = calendarDate({ min: '1990-01-01', max: yearsFromToday(2) });

export const GRADING_MODES = { completion: 'Completion (computed from approved hours)', 'faculty-score': 'Faculty score' } as const;

/** How a completion grade shows in the LMS before every requirement is met (practicum-grade.ts). */
export const PARTIAL_CREDIT_MODES = {
  show: 'Show partial points as hours are approved',
  hide: 'Leave the LMS grade empty until every requirement is met',
} as const;
const partialCreditIds = Object.keys(PARTIAL_CREDIT_MODES) as [keyof typeof PARTIAL_CREDIT_MODES, ...(keyof typeof PARTIAL_CREDIT_MODES)[]];

/** What a practicum-log activity stores in Activity.settings. */
export const practicumSettingsSchema = z.object({
  rulePackId: z.enum(RULE_PACK_IDS),
  requiredHours: z.number().min(0).max(5000),
  categoryMinimums: z.array(z.object({ category: z.enum(categoryIds), minimumHours: z.number().min(0).max(5000) })),
  requiredSettings: z.object({
    minDistinctSites: z.number().int().min(0).max(50),
    gradeBands: z.array(z.enum(bandIds)),
    populations: z.array(z.enum(populationIds)),
  }),
  frameworkId: z.enum(FRAMEWORK_IDS),
  termStart: storedDate.nullable(),
  termEnd: storedDate.nullable(),
  gradingMode: z.enum(['completion', 'faculty-score']),
  // Activities placed before the setting existed keep their settings and show partial points.
  partialCredit: z.enum(partialCreditIds).default('show'),
});
export type PracticumSettings = z.infer<typeof practicumSettingsSchema>;

export function defaultSettings(packId: string = DEFAULT_RULE_PACK): PracticumSettings {
  const pack = rulePack(packId);
  return {
    rulePackId: pack.id as PracticumSettings['rulePackId'],
    requiredHours: pack.requiredHours,
    categoryMinimums: pack.categoryMinimums.map((c) => ({ ...c })),
    requiredSettings: { ...pack.requiredSettings, gradeBands: [...pack.requiredSettings.gradeBands], populations: [...pack.requiredSettings.populations] },
    frameworkId: pack.frameworkId,
    termStart: null,
    termEnd: null,
    gradingMode: 'completion',
    partialCredit: 'show',
  };
}

/** The activity's term as progress and the submit check read it (either end may be open). */
export function termOf(settings: PracticumSettings): Term {
  return { start: settings.termStart, end: settings.termEnd };
}

/** Settings of a stored activity; activities placed before settings existed get the defaults. */
export function readSettings(stored: unknown): PracticumSettings {
  const parsed = practicumSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : defaultSettings();
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalNumber = (message: string) => optionalFormNumber(message, (n) => n.min(0, 'Cannot be negative.').max(5000, 'At most 5,000.'));
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));

/**
 * The picker's practicum fieldset. Every field is optional: a blank field takes the rule pack's
 * default, so a placement that only names a title and points still gets a complete rule set.
 */
export const practicumSettingsFormSchema = z
  .object({
    rulePackId: z.preprocess(blankToUndefined, z.enum(RULE_PACK_IDS, { errorMap: () => ({ message: 'Choose a rule pack.' }) }).default(DEFAULT_RULE_PACK)),
    requiredHours: optionalNumber('Required hours must be a number.'),
    minDistinctSites: optionalFormNumber('Enter a whole number.', (n) => n.int('Enter a whole number.').min(0, 'Cannot be negative.').max(50, 'At most 50.')),
    gradeBands: list(z.enum(bandIds, { errorMap: () => ({ message: 'Unknown grade band.' }) })),
    populations: list(z.enum(populationIds, { errorMap: () => ({ message: 'Unknown population.' }) })),
    frameworkId: z.preprocess(blankToUndefined, z.enum(FRAMEWORK_IDS, { errorMap: () => ({ message: 'Choose a standards framework.' }) }).optional()),
    termStart: z.preprocess(blankToUndefined, termDate.optional()),
    termEnd: z.preprocess(blankToUndefined, termDate.optional()),
    gradingMode: z.preprocess(blankToUndefined, z.enum(['completion', 'faculty-score'], { errorMap: () => ({ message: 'Choose how the activity is graded.' }) }).default('completion')),
    partialCredit: z.preprocess(blankToUndefined, z.enum(partialCreditIds, { errorMap: () => ({ message: 'Choose how the grade shows before completion.' }) }).default('show')),
    ...Object.fromEntries(categoryIds.map((c) => [`min_${c}`, optionalNumber('Minimum hours must be a number.')])),
  })
  .refine((v) => !v.termStart || !v.termEnd || v.termStart <= v.termEnd, { message: 'The term must end after it starts.', path: ['termEnd'] });

/** Turns the validated picker form into stored settings, filling blanks from the rule pack. */
export function settingsFromForm(form: z.infer<typeof practicumSettingsFormSchema>): PracticumSettings {
  const base = defaultSettings(form.rulePackId);
  const values = form as unknown as Record<string, number | undefined>;
  const byCategory = new Map(base.categoryMinimums.map((c) => [c.category, c.minimumHours]));
  for (const c of categoryIds) {
    const typed = values[`min_${c}`];
    if (typed !== undefined) byCategory.set(c, typed);
  }
  return {
    ...base,
    requiredHours: form.requiredHours ?? base.requiredHours,
    categoryMinimums: [...byCategory].filter(([, h]) => h > 0).map(([category, minimumHours]) => ({ category, minimumHours })),
    requiredSettings: {
      minDistinctSites: form.minDistinctSites ?? base.requiredSettings.minDistinctSites,
      // Checked boxes add to the pack's settings; the pack's own stay required.
      gradeBands: [...new Set([...base.requiredSettings.gradeBands, ...form.gradeBands])],
      populations: [...new Set([...base.requiredSettings.populations, ...form.populations])],
    },
    frameworkId: form.frameworkId ?? base.frameworkId,
    termStart: form.termStart ?? null,
    termEnd: form.termEnd ?? null,
    gradingMode: form.gradingMode,
    partialCredit: form.partialCredit,
  };
}

export interface StandardElement {
  id: string;
  label: string;
}

/** The standards (and named components) of a framework, as candidates pick them on an entry. */
export function frameworkElements(frameworkId: string): StandardElement[] {
  const fw = (frameworks as Record<string, { standards: { id: string; title: string; components?: string[] }[] }>)[frameworkId];
  if (!fw) return [];
  const out: StandardElement[] = [];
  for (const s of fw.standards) {
    out.push({ id: s.id, label: `${s.id}. ${s.title}` });
    for (const c of s.components ?? []) {
      const [id, ...rest] = c.split(' ');
      out.push({ id, label: rest.length ? `${id} ${rest.join(' ')}` : id });
    }
  }
  return out;
}

export function frameworkTitle(frameworkId: string): string {
  return (frameworks as Record<string, { title: string }>)[frameworkId]?.title ?? frameworkId;
}

/** The pack with the activity's own edits applied: what progress is measured against. */
export function effectiveRules(settings: PracticumSettings): RulePack {
  const pack = rulePack(settings.rulePackId);
  return { ...pack, requiredHours: settings.requiredHours, categoryMinimums: settings.categoryMinimums, requiredSettings: settings.requiredSettings, frameworkId: settings.frameworkId };
}
