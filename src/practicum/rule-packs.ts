/**
 * Rule packs: the internship requirements a practicum-log activity checks, as data.
 *
 * Each pack is a starting point taken from public sources (/work/shared/standards/internship-rules.md);
 * faculty edit hours, categories and settings per activity. The wording we show is always
 * "program defaults based on <source>", never "state law": programs must verify the current rule.
 */

export const GRADE_BANDS = {
  'early-childhood': 'Early childhood / pre-K',
  elementary: 'Elementary',
  middle: 'Middle',
  high: 'High',
  'central-office': 'Central / district office',
  agency: 'Agency or community organisation',
} as const;
export type GradeBand = keyof typeof GRADE_BANDS;

export const POPULATIONS = {
  general: 'General education',
  'special-education': 'Special education',
  'english-learners': 'English learners',
  bilingual: 'Bilingual',
  gifted: 'Gifted',
  'title-i': 'Title I',
} as const;
export type Population = keyof typeof POPULATIONS;

/** Activity categories a candidate can log; ids are slugs (they become keys in progress documents). */
export const ACTIVITY_CATEGORIES = {
  'instructional-leadership': 'Instructional leadership',
  'observation-feedback': 'Teacher observation and feedback',
  'data-improvement': 'Data and school improvement',
  'operations-management': 'Operations and management',
  'family-community': 'Family and community engagement',
  'equity-student-support': 'Equity and student support',
  'professional-learning': 'Leading professional learning',
  'lunch-recess-supervision': 'Lunch or recess supervision',
  mentoring: 'Mentoring with the site mentor',
  coursework: 'University coursework',
  other: 'Other leadership activity',
} as const;
export type ActivityCategory = keyof typeof ACTIVITY_CATEGORIES;

export const FRAMEWORK_IDS = ['NELP-2018-building', 'PSEL-2015', 'InTASC-2011'] as const;
export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface CategoryMinimum {
  category: ActivityCategory;
  minimumHours: number;
}

export interface RequiredSettings {
  /** How many distinct sites the hours must come from (0 = no rule). */
  minDistinctSites: number;
  /** Grade bands that must each have at least one counted hour. */
  gradeBands: GradeBand[];
  /** Populations served that must each have at least one counted hour. */
  populations: Population[];
}

export interface RulePack {
  id: string;
  name: string;
  /** Shown as "Program defaults based on <source>". */
  source: string;
  requiredHours: number;
  categoryMinimums: CategoryMinimum[];
  requiredSettings: RequiredSettings;
  /** Hours logged in these categories never count. */
  excludedCategories: ActivityCategory[];
  /** Minimum span between first and last counted entry, in weeks (0 = no rule). */
  minWeeks: number;
  /** Expected weekly intensity, used for pace and advice (null = none). */
  weeklyHours: { min: number; max: number } | null;
  /** Texas: the practicum may not take place exclusively in summer. */
  notOnlyInSummer: boolean;
  /** Entries need a mentor's verification before faculty approval. */
  requiresMentorVerification: boolean;
  frameworkId: FrameworkId;
  notes: string[];
}

const NO_SETTINGS: RequiredSettings = { minDistinctSites: 0, gradeBands: [], populations: [] };

export const RULE_PACKS = {
  'nelp-building': {
    id: 'nelp-building',
    name: 'NELP 8 (building level)',
    source: 'NELP 2018 building-level standard 8',
    requiredHours: 300,
    categoryMinimums: [],
    requiredSettings: { minDistinctSites: 2, gradeBands: [], populations: [] },
    excludedCategories: ['coursework'],
    minWeeks: 26,
    weeklyHours: { min: 10, max: 15 },
    notOnlyInSummer: false,
    requiresMentorVerification: true,
    frameworkId: 'NELP-2018-building',
    notes: ['8.1: experiences in multiple school environments covering standards 1–7.', '8.2: at least six months at 10–15 hours per week (about 260–390 hours; 300 by default).', '8.3: a mentor selected collaboratively and trained by the institution.'],
  },
  ucea: {
    id: 'ucea',
    name: 'UCEA model policy',
    source: 'the UCEA model policy',
    requiredHours: 300,
    categoryMinimums: [],
    requiredSettings: NO_SETTINGS,
    excludedCategories: ['coursework'],
    minWeeks: 0,
    weeklyHours: null,
    notOnlyInSummer: false,
    requiresMentorVerification: true,
    frameworkId: 'PSEL-2015',
    notes: ['An internship of at least 300 hours.'],
  },
  texas: {
    id: 'texas',
    name: 'Texas (principal)',
    source: 'Texas Administrative Code ch. 228',
    requiredHours: 160,
    categoryMinimums: [],
    requiredSettings: NO_SETTINGS,
    excludedCategories: ['coursework'],
    minWeeks: 0,
    weeklyHours: null,
    notOnlyInSummer: true,
    requiresMentorVerification: true,
    frameworkId: 'PSEL-2015',
    notes: ['At least 160 clock-hours; not exclusively in summer.', 'Formal observations are tracked by the mentorship activity, not here.'],
  },
  virginia: {
    id: 'virginia',
    name: 'Virginia',
    source: '8VAC20-23-620',
    requiredHours: 320,
    categoryMinimums: [],
    requiredSettings: { minDistinctSites: 5, gradeBands: [], populations: [] },
    excludedCategories: ['coursework'],
    minWeeks: 0,
    weeklyHours: null,
    notOnlyInSummer: false,
    requiresMentorVerification: true,
    frameworkId: 'PSEL-2015',
    notes: ['320 clock hours with exposure to five different sites (elementary, middle, high, central office, agency).'],
  },
  pennsylvania: {
    id: 'pennsylvania',
    name: 'Pennsylvania (Penn State program)',
    source: 'the Penn State program page',
    requiredHours: 360,
    categoryMinimums: [],
    requiredSettings: NO_SETTINGS,
    excludedCategories: ['coursework'],
    minWeeks: 52,
    weeklyHours: null,
    notOnlyInSummer: false,
    requiresMentorVerification: true,
    frameworkId: 'PSEL-2015',
    notes: ['360 hours documented across a full calendar year.'],
  },
  illinois: {
    id: 'illinois',
    name: 'Illinois',
    source: '23 Ill. Adm. Code 30.40',
    requiredHours: 0,
    categoryMinimums: [],
    requiredSettings: {
      minDistinctSites: 0,
      gradeBands: ['early-childhood', 'elementary', 'middle', 'high'],
      populations: ['general', 'special-education', 'bilingual', 'gifted'],
    },
    excludedCategories: ['lunch-recess-supervision', 'coursework'],
    minWeeks: 0,
    weeklyHours: null,
    notOnlyInSummer: false,
    requiresMentorVerification: true,
    frameworkId: 'PSEL-2015',
    notes: ['Competency-based: work with teachers at all grade levels (EC–12) in general, special education, bilingual and gifted settings.', 'Lunch and recess supervision and coursework do not count.'],
  },
  custom: {
    id: 'custom',
    name: 'Custom',
    source: 'your program’s own requirements',
    requiredHours: 100,
    categoryMinimums: [],
    requiredSettings: NO_SETTINGS,
    excludedCategories: [],
    minWeeks: 0,
    weeklyHours: null,
    notOnlyInSummer: false,
    requiresMentorVerification: false,
    frameworkId: 'PSEL-2015',
    notes: [],
  },
} as const satisfies Record<string, RulePack>;

export type RulePackId = keyof typeof RULE_PACKS;
export const RULE_PACK_IDS = Object.keys(RULE_PACKS) as [RulePackId, ...RulePackId[]];
export const DEFAULT_RULE_PACK: RulePackId = 'nelp-building';

export function rulePack(id: string): RulePack {
  return (RULE_PACKS as Record<string, RulePack>)[id] ?? RULE_PACKS[DEFAULT_RULE_PACK];
}

/** The label shown wherever a pack's requirement is displayed. */
export function packLabel(pack: RulePack): string {
  return `Program defaults based on ${pack.source}`;
}
