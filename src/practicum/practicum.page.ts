/** Loads what one caller's practicum screen shows, scoped by the policy, and builds its view model. */
import type { Activity } from '../activities/activity.model';
import type { Caller } from '../lti/caller';
import type { FieldErrors } from '../platform/validate';
import { PracticumAuditModel } from './practicum-audit.model';
import { PracticumEntryModel, type PracticumEntry } from './practicum-entry.model';
import { PracticumProgressModel } from './practicum-progress.model';
import { effectiveRules, frameworkTitle, readSettings, termOf } from './practicum-settings';
import { listLegacySites, sitesOfEntries } from './practicum-sites.service';
import { entryScope, viewFor } from './practicum.policy';
import { entryFormValues, presentEntry, presentEntryForm, presentProgress, presentTrailStep, STATUS_LABELS } from './practicum.presenter';
import type { BatchResult } from './practicum.service';
import { progressId, readEntry, toProgressEntry, type ProgressItem } from './progress-store';
import { withTransientRetry } from '../platform/transient';
import { computeProgress } from './progress.service';
import { listMentorAssignments } from './practicum-mentors.service';
import { listCourseMembers } from '../courses/course-membership.service';
import { presentPracticumCharts } from './practicum-charts.presenter';
import { cohortQuerySchema, presentCohortTable, type CohortQuery } from './cohort.presenter';
import { standardNamer } from './candidate.page';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export interface PageOptions {
  ltik: string;
  today: string;
  filter?: { status?: string; candidate?: string };
  form?: { values: Record<string, unknown>; errors: FieldErrors };
  /** The mentor form as typed, with its errors (re-rendered on a 400). */
  mentorForm?: { values: Record<string, unknown>; errors: FieldErrors };
  editEntryId?: string;
  flash?: { tone: 'success' | 'danger' | 'warning'; text: string } | null;
  batch?: BatchResult | null;
  /** The entry a form post just saved: the autosave script drops its on-device copies of it. */
  savedEntryId?: string;
  /**
   * What the save just wrote: the entry and the candidate's progress items its settle computed.
   * Shown as they are instead of read again (the page every save answers with).
   */
  saved?: { entry: PracticumEntry; progressItems?: Record<string, ProgressItem>; settledEntries?: PracticumEntry[] };
  /** The cohort table's ?sort= and ?q= (faculty, coordinator, mentor). */
  cohort?: CohortQuery;
}

export function todayIso(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export async function buildPracticumPage(caller: Caller, activity: Activity, options: PageOptions) {
  const view = viewFor(caller, activity);
  const settings = readSettings(activity.settings);
  const rules = effectiveRules(settings);
  const base = {
    ltik: options.ltik,
    aid: String(activity._id),
    view,
    isCandidate: view === 'candidate',
    isFaculty: view === 'faculty',
    isMentor: view === 'mentor',
    isCoordinator: view === 'coordinator',
    isNone: view === 'none',
    flash: options.flash ?? null,
    batchFailures: (options.batch?.failed ?? []).map((f) => ({ id: f.id, message: f.message, fields: Object.values(f.fields ?? {}).join(' ') })),
    rules: { packName: rules.name, packLabel: `Program defaults based on ${rules.source}`, requiredHours: rules.requiredHours, framework: frameworkTitle(settings.frameworkId), term: settings.termStart && settings.termEnd ? `${settings.termStart} to ${settings.termEnd}` : null, gradingMode: settings.gradingMode },
  };
  if (view === 'none') return base;
  const scope = entryScope(caller, activity);

  if (view === 'candidate') {
    const entries = await candidateEntries(activity, caller.sub, scope, options.savedEntryId, options.saved);
    const summary = computeProgress(entries.map(toProgressEntry), rules, { start: settings.termStart, end: settings.termEnd }, options.today);
    const editing = options.editEntryId ? entries.find((e) => String(e._id) === options.editEntryId && (e.status === 'draft' || e.status === 'returned')) : undefined;
    const values = options.form?.values ?? (editing ? entryFormValues(editing) : {});
    const formEntryId = str(values.entryId);
    const formEntry = formEntryId ? entries.find((e) => String(e._id) === formEntryId) : undefined;
    const copyKey = (id: string) => `fieldbook-practicum:${String(activity._id)}:${caller.sub}:${id}`;
    return {
      ...base,
      entries: entries.map((e) => presentEntry(e, view)),
      hasSubmittable: entries.some((e) => e.status === 'draft' || e.status === 'returned'),
      progress: presentProgress(summary, rules, new Map(entries.map((e) => [String(e._id), e.date ?? '']))),
      charts: presentPracticumCharts({ entries, rules, term: termOf(settings), today: options.today }),
      form: presentEntryForm(settings, values, options.form?.errors ?? {}, entries.length ? sitesOfEntries(caller.iss, caller.sub, entries) : await listLegacySites(caller.iss, caller.sub)),
      mentor: await presentMentorSection(activity, caller.sub, options.mentorForm),
      autosave: {
        key: copyKey(formEntryId || 'new'),
        renderedAt: formEntry ? new Date((formEntry as { updatedAt?: Date }).updatedAt ?? 0).getTime() : 0,
        clear: options.savedEntryId ? [copyKey('new'), copyKey(options.savedEntryId)].join(' ') : '',
      },
    };
  }

  const status = options.filter?.status;
  const candidate = options.filter?.candidate;
  const defaultStatuses = view === 'mentor' ? ['submitted'] : ['submitted', 'verified'];
  const query: Record<string, unknown> = { ...scope, ...(status ? { status } : { status: { $in: defaultStatuses } }) };
  if (view === 'mentor' && status === 'draft') query.status = { $in: [] };
  if (candidate) query.candidateSub = view === 'mentor' && !caller.menteeSubs.includes(candidate) ? { $in: [] } : candidate;
  const entries = await PracticumEntryModel.find(query).sort({ date: 1, createdAt: 1 }).limit(500).lean();
  const progressScope = view === 'mentor' ? { activityId: activity._id, candidateSub: { $in: caller.menteeSubs } } : { activityId: activity._id };
  const progress = await PracticumProgressModel.find(progressScope).sort({ candidateName: 1 }).limit(1000).lean();
  // Candidates of the course who have logged nothing yet (or never launched) are listed too.
  const logged = new Set(progress.map((p) => p.candidateSub));
  const roster = view === 'mentor' ? [] : await listCourseMembers(activity, 'candidate');
  const members = roster.filter((m) => !logged.has(m.sub) && !m.isTestUser);
  const assignments = await listMentorAssignments(activity, view === 'mentor' ? caller.menteeSubs : undefined);
  const table = presentCohortTable({
    progress: [...progress, ...members.map((m) => ({ candidateSub: m.sub, candidateName: m.name, minutes: {}, entries: {}, items: null, grade: null }) as unknown as typeof progress[number])],
    rules,
    term: termOf(settings),
    today: options.today,
    assignments,
    query: options.cohort ?? cohortQuerySchema.parse({}),
    pageHref: `/lti/practicum?ltik=${encodeURIComponent(options.ltik)}&aid=${String(activity._id)}`,
    emails: new Map(roster.filter((m) => m.email).map((m) => [m.sub, m.email])),
  });
  const cohort = [...table.all].sort((a, b) => a.name.localeCompare(b.name));
  const mentors = view === 'faculty' ? presentMentorReassign(assignments, cohort, options.mentorForm) : null;
  return {
    ...base,
    entries: entries.map((e) => presentEntry(e, view)),
    cohort: table.rows,
    cohortTable: table,
    canOpenCandidate: view === 'faculty',
    mentors,
    canAct: view === 'faculty' || view === 'mentor',
    filter: {
      statuses: Object.entries(STATUS_LABELS)
        .filter(([s]) => view !== 'mentor' || s !== 'draft')
        .map(([value, s]) => ({ value, label: s.label, selected: value === status })),
      candidates: cohort.map((c) => ({ value: c.candidateSub, label: c.name, selected: c.candidateSub === candidate })),
      description: status ? STATUS_LABELS[status]?.label : view === 'mentor' ? 'Awaiting your verification' : 'Awaiting review',
    },
  };
}

type EntryDoc = Awaited<ReturnType<typeof loadEntry>>;
const loadEntry = (id: string) => readEntry(id);

/**
 * The candidate's own entries, newest first (at most 500). Read by _id from the ids their progress
 * document lists — the page every submit answers with, so at a deadline a query by candidate
 * (a scan of every entry of every candidate on the embedded database) per request was most of the
 * database's work. The entry just saved is read even if its progress write is still behind; a
 * candidate without a progress document (first use) is read by query.
 */
async function candidateEntries(activity: Activity, candidateSub: string, scope: Record<string, unknown>, savedEntryId?: string, saved?: PageOptions['saved']): Promise<NonNullable<EntryDoc>[]> {
  const progress = saved?.progressItems
    ? { items: saved.progressItems }
    : ((await withTransientRetry(() => PracticumProgressModel.findOne({ _id: progressId(activity._id, candidateSub) }, { items: 1 }).lean())) as { items?: Record<string, unknown> | null } | null);
  if (!progress?.items) return PracticumEntryModel.find(scope).sort({ date: -1, createdAt: -1 }).limit(500).lean();
  const ids = new Set(Object.keys(progress.items));
  if (savedEntryId) ids.add(savedEntryId);
  // The entries the settle behind these items summarised — the one just saved, and the candidate's
  // others saved in the same turn of their lock (practicum-settle.ts) — are shown as settled, not read
  // again: at a deadline a candidate's three submits each answered with reads of the other two.
  const known = new Map<string, NonNullable<EntryDoc>>();
  // Only at the version the items show (a later writer's version, read by the settle, is read here too).
  const items = saved?.progressItems ?? {};
  for (const e of saved?.settledEntries ?? []) if (items[String(e._id)]?.version === e.version) known.set(String(e._id), e as NonNullable<EntryDoc>);
  if (saved) known.set(String(saved.entry._id), saved.entry as NonNullable<EntryDoc>);
  const found = await Promise.all([...ids].map((id) => known.get(id) ?? loadEntry(id)));
  const mine = found.filter((e): e is NonNullable<EntryDoc> => e !== null && String(e.activityId) === String(activity._id) && e.iss === activity.iss && e.candidateSub === candidateSub);
  const newestFirst = (a: NonNullable<EntryDoc>, b: NonNullable<EntryDoc>) => (b.date ?? '').localeCompare(a.date ?? '') || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0);
  return mine.sort(newestFirst).slice(0, 500);
}

/** The audit trail of one entry the caller may see (scope applied). */
export async function loadEntryWithTrail(caller: Caller, activity: Activity, entryId: string) {
  const entry = await PracticumEntryModel.findOne({ ...entryScope(caller, activity), _id: entryId }).lean();
  if (!entry) return null;
  const trail = await PracticumAuditModel.find({ entryId: entry._id }).sort({ version: 1 }).lean();
  return {
    candidateSub: entry.candidateSub,
    entry: presentEntry(entry, viewFor(caller, activity)),
    // By name, not number: a reader of one entry should not need the framework at hand.
    standardNames: (entry.standards ?? []).map(standardNamer(readSettings(activity.settings).frameworkId)),
    trail: trail.map(presentTrailStep),
  };
}

/** The candidate's "Your mentor" card: the named mentor, the link's state, and the form. */
async function presentMentorSection(activity: Activity, candidateSub: string, form: PageOptions['mentorForm']) {
  const [assignment] = await listMentorAssignments(activity, [candidateSub]);
  const values = form?.values ?? {};
  return {
    assignment: assignment ?? null,
    canResend: Boolean(assignment),
    values: { mentorName: str(values.mentorName) || (form ? '' : (assignment?.name ?? '')), mentorEmail: str(values.mentorEmail) || (form ? '' : (assignment?.email ?? '')) },
    errors: form?.errors ?? {},
  };
}

/** Faculty: every candidate's mentor and link state, and the reassign form. */
function presentMentorReassign(assignments: Awaited<ReturnType<typeof listMentorAssignments>>, cohort: { candidateSub: string; name: string }[], form: PageOptions['mentorForm']) {
  const values = form?.values ?? {};
  const chosen = str(values.candidate);
  const named = new Set(assignments.map((a) => a.candidateSub));
  const candidates = [...cohort.map((c) => ({ value: c.candidateSub, label: c.name })), ...assignments.filter((a) => !cohort.some((c) => c.candidateSub === a.candidateSub)).map((a) => ({ value: a.candidateSub, label: a.candidateName }))];
  return {
    assignments,
    candidates: candidates.map((c) => ({ ...c, selected: c.value === chosen, hasMentor: named.has(c.value) })),
    values: { mentorName: str(values.mentorName), mentorEmail: str(values.mentorEmail) },
    errors: form?.errors ?? {},
  };
}
