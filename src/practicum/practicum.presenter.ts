import { randomBytes } from 'node:crypto';
/** Whitelisted view models for the practicum templates (no raw documents reach a view). */
import { typedList, typedText, type FieldErrors } from '../platform/validate';
import { ROLE_LABELS } from '../activities/shell.presenter';
import type { PracticumEntry } from './practicum-entry.model';
import type { PracticumProgress } from './practicum-progress.model';
import { frameworkElements, type PracticumSettings } from './practicum-settings';
import type { PracticumView } from './practicum.policy';
import { ACTIVITY_CATEGORIES, GRADE_BANDS, POPULATIONS, packLabel, type RulePack } from './rule-packs';
import type { ProgressSummary, Requirement } from './progress.service';

export const STATUS_LABELS: Record<string, { label: string; badge: string }> = {
  draft: { label: 'Draft', badge: 'text-bg-secondary' },
  submitted: { label: 'Submitted', badge: 'text-bg-info' },
  verified: { label: 'Verified by mentor', badge: 'text-bg-primary' },
  approved: { label: 'Approved', badge: 'text-bg-success' },
  returned: { label: 'Returned', badge: 'text-bg-warning' },
};

interface TrailStepInput {
  from: string;
  to: string;
  actor?: { kind: string; role: string; name?: string | null; email?: string | null; sub?: string | null } | null;
  comment?: string | null;
  at: Date;
}

/** What a status change did, as the verb of a sentence ("Verified by …"); keyed by from → to. */
function trailVerb(from: string, to: string): string {
  if (to === 'submitted') return from === 'returned' ? 'Resubmitted' : 'Submitted';
  if (to === 'draft') return 'Reopened for editing';
  if (to === 'verified') return 'Verified';
  if (to === 'approved') return 'Approved';
  if (to === 'returned') return 'Returned';
  return `Moved to ${STATUS_LABELS[to]?.label ?? to}`;
}

/**
 * One step of an entry's history as a plain sentence: "Verified by Marta Site-Supervisor (Site
 * mentor)". A mentor acting from an emailed link is the candidate's site mentor; people from the
 * LMS are named by their role as the shell header names it.
 */
export function presentTrailStep(t: TrailStepInput) {
  const actor = t.actor ?? { kind: 'lti', role: '' };
  const title = actor.kind === 'external' && actor.role === 'mentor' ? 'Site mentor' : (ROLE_LABELS[actor.role] ?? actor.role);
  const who = actor.name || actor.email || actor.sub || 'someone';
  return {
    to: t.to,
    sentence: `${trailVerb(t.from, t.to)} by ${who}${title ? ` (${title})` : ''}`,
    comment: t.comment ?? '',
    at: t.at,
  };
}

const PACE_LABELS: Record<string, string> = {
  'no-term': 'No term dates are set for this activity, so pace is not tracked.',
  'not-started': 'The term has not started yet.',
  behind: 'Behind pace',
  'on-track': 'On track',
  ahead: 'Ahead of pace',
  ended: 'The term has ended.',
};

const hoursText = (minutes: number) => `${Math.round((minutes / 60) * 100) / 100} h`;

export function presentEntry(e: PracticumEntry, view: PracticumView) {
  const status = STATUS_LABELS[e.status] ?? { label: e.status, badge: 'text-bg-light' };
  return {
    id: String(e._id),
    key: `${String(e._id)}:${e.version}`,
    version: e.version,
    candidateName: e.candidateName || e.candidateSub,
    date: e.date || '—',
    hours: hoursText(e.minutes ?? 0),
    site: [e.site?.name, e.site?.district].filter(Boolean).join(', ') || '—',
    gradeBand: e.site?.gradeBand ? (GRADE_BANDS as Record<string, string>)[e.site.gradeBand] : '',
    populations: (e.site?.populations ?? []).map((p) => (POPULATIONS as Record<string, string>)[p] ?? p).join(', '),
    category: e.category ? ((ACTIVITY_CATEGORIES as Record<string, string>)[e.category] ?? e.category) : '—',
    standards: (e.standards ?? []).join(', '),
    description: e.description ?? '',
    reflection: e.reflection ?? '',
    mentorName: e.mentor?.name ?? '',
    status: e.status,
    statusLabel: status.label,
    badge: status.badge,
    returnedComment: e.status === 'returned' ? (e.returned?.comment ?? '') : '',
    canEdit: view === 'candidate' && (e.status === 'draft' || e.status === 'returned'),
    canSubmit: view === 'candidate' && (e.status === 'draft' || e.status === 'returned'),
    canVerify: view === 'mentor' && e.status === 'submitted',
    canApprove: view === 'faculty' && (e.status === 'submitted' || e.status === 'verified'),
    canReturn: (view === 'mentor' && e.status === 'submitted') || (view === 'faculty' && e.status !== 'draft' && e.status !== 'returned'),
  };
}

function bar(r: Requirement, unit: 'h' | 'sites' | 'weeks' | 'presence') {
  if (unit === 'presence') {
    return { label: r.label, now: r.isMet ? 1 : 0, max: 1, percent: r.isMet ? 100 : 0, text: r.isMet ? `${r.counted} h counted` : 'Not yet covered', isMet: r.isMet };
  }
  const max = r.required > 0 ? r.required : Math.max(1, r.counted);
  const suffix = unit === 'h' ? ' h' : ` ${unit}`;
  return { label: r.label, now: r.counted, max, percent: Math.min(100, Math.round((r.counted / max) * 100)), text: `${r.counted}${suffix} of ${r.required}${suffix}`, isMet: r.isMet };
}

export function presentProgress(summary: ProgressSummary, rules: RulePack, entryDates: Map<string, string>) {
  return {
    packLabel: packLabel(rules),
    packName: rules.name,
    notes: rules.notes,
    total: bar(summary.hours, 'h'),
    categories: summary.categories.map((c) => bar(c, 'h')),
    settings: summary.settings.map((s) => bar(s, s.id === 'distinct-sites' ? 'sites' : 'presence')),
    weeks: summary.weeks ? bar(summary.weeks, 'weeks') : null,
    summer: summary.summer,
    byStatus: Object.entries(summary.hoursByStatus).map(([status, hours]) => ({ label: STATUS_LABELS[status]?.label ?? status, hours })),
    pace: { ...summary.pace, label: PACE_LABELS[summary.pace.status], isBehind: summary.pace.status === 'behind', hasTerm: summary.pace.status !== 'no-term' },
    reasons: summary.reasonTotals,
    notCounted: summary.notCounted.map((n) => ({ date: n.date ?? entryDates.get(n.entryId) ?? '—', hours: n.hours, reasons: n.reasons.map((r) => r.message).join(' ') })),
    isComplete: summary.isComplete,
  };
}

const TEXT_FIELDS = ['entryId', 'version', 'date', 'hours', 'siteName', 'siteDistrict', 'description', 'reflection', 'mentorName', 'mentorEmail'] as const;

/** The entry form with what was typed (or the entry being edited) selected. */
/** Where the error summary's link for each field leads (the field, or the message of a group of boxes). */
const ERROR_TARGETS: Record<string, { label: string; target: string }> = {
  date: { label: 'Date', target: 'date' },
  hours: { label: 'Hours', target: 'hours' },
  category: { label: 'Category', target: 'category' },
  siteName: { label: 'School or site', target: 'siteName' },
  siteDistrict: { label: 'District', target: 'siteDistrict' },
  gradeBand: { label: 'Level', target: 'gradeBand' },
  populations: { label: 'Populations served', target: 'populations-label' },
  standards: { label: 'Standards this evidences', target: 'standards-error' },
  description: { label: 'What you did', target: 'description' },
  reflection: { label: 'Reflection', target: 'reflection' },
};

/** The failed form's errors as a list for the summary at its top, in the order of the form. */
export function presentErrorSummary(errors: FieldErrors): { message: string | null; items: { label: string; message: string; target: string }[] } {
  const items = Object.entries(ERROR_TARGETS)
    .filter(([field]) => errors[field])
    .map(([field, { label, target }]) => ({ label, message: String(errors[field]), target }));
  return { message: errors._form ? String(errors._form) : null, items };
}

export function presentEntryForm(settings: PracticumSettings, values: Record<string, unknown>, errors: FieldErrors, sites: { _id: unknown; name: string; district?: string | null }[]) {
  // `values` may be a request body as posted (a failed form keeps what was typed): text only.
  const pops = typedList(values.populations);
  const stds = typedList(values.standards);
  return {
    values: {
      ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, typedText(values[f])])),
      formToken: /^[A-Za-z0-9_-]{16,64}$/.test(typedText(values.formToken)) ? typedText(values.formToken) : randomBytes(16).toString('base64url'),
    },
    errors,
    hasErrors: Object.keys(errors).length > 0,
    errorSummary: presentErrorSummary(errors),
    isEditing: Boolean(values.entryId),
    sites: sites.map((s) => ({ id: String(s._id), label: [s.name, s.district].filter(Boolean).join(', '), selected: String(s._id) === typedText(values.siteId) })),
    gradeBands: Object.entries(GRADE_BANDS).map(([value, label]) => ({ value, label, selected: value === values.gradeBand })),
    populations: Object.entries(POPULATIONS).map(([value, label]) => ({ value, label, checked: pops.includes(value) })),
    categories: Object.entries(ACTIVITY_CATEGORIES).map(([value, label]) => ({ value, label, selected: value === values.category })),
    standards: frameworkElements(settings.frameworkId).map((s) => ({ ...s, checked: stds.includes(s.id), domId: `std-${s.id.replace(/[^a-z0-9]/gi, '-')}` })),
  };
}

/** Form values of a stored entry, for editing. */
export function entryFormValues(e: PracticumEntry): Record<string, unknown> {
  return {
    entryId: String(e._id),
    version: e.version,
    date: e.date ?? '',
    hours: e.minutes ? Math.round((e.minutes / 60) * 100) / 100 : '',
    siteName: e.site?.name ?? '',
    siteDistrict: e.site?.district ?? '',
    gradeBand: e.site?.gradeBand ?? '',
    populations: e.site?.populations ?? [],
    category: e.category ?? '',
    standards: e.standards ?? [],
    description: e.description ?? '',
    reflection: e.reflection ?? '',
    mentorName: e.mentor?.name ?? '',
    mentorEmail: e.mentor?.email ?? '',
  };
}

/** One row per candidate from their progress document: the O(cohort) faculty overview. */
export function presentCohortRow(p: PracticumProgress, rules: RulePack) {
  const minutes = (p.minutes ?? {}) as Record<string, { total?: number; category?: Record<string, number> }>;
  const approved = minutes.approved?.total ?? 0;
  const excluded = rules.excludedCategories.reduce((s, c) => s + (minutes.approved?.category?.[c] ?? 0), 0);
  const counted = Math.max(0, approved - excluded);
  const awaiting = (minutes.submitted?.total ?? 0) + (minutes.verified?.total ?? 0);
  const requiredMinutes = rules.requiredHours * 60;
  return {
    candidateSub: p.candidateSub,
    /** For the hour-log links (?candidate=): a sub may hold any character. */
    candidateParam: encodeURIComponent(p.candidateSub),
    name: p.candidateName || p.candidateSub,
    counted: hoursText(counted),
    awaiting: hoursText(awaiting),
    drafts: hoursText(minutes.draft?.total ?? 0),
    required: `${rules.requiredHours} h`,
    percent: requiredMinutes > 0 ? Math.min(100, Math.round((counted / requiredMinutes) * 100)) : 0,
    countedHours: Math.round((counted / 60) * 100) / 100,
    requiredHours: rules.requiredHours,
    score: p.grade?.scoreGiven ?? null,
  };
}
