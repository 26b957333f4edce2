/** The practicum log as an activity kind (the first tenant of src/activities/activity-kind.ts). */
import type { ActivityKind, ShellSection } from '../activities/activity-kind';
import { parseForm } from '../platform/validate';
import { PracticumEntryModel } from './practicum-entry.model';
import { practicumProgress } from './candidate-progress';
import { practicumExternalPart, type MentorPageState } from './practicum-mentor.page';
import { createMentorAccessRouter } from './practicum-mentor.routes';
import { upgradePracticumMentors } from './practicum-mentors.service';
import { reconcileProgress, upgradeProgressDocuments } from './progress-store';
import { reconcilePracticumGrades } from './practicum-settle';
import { presentPracticumPicker } from './practicum-picker';
import { effectiveRules, frameworkTitle, GRADING_MODES, practicumSettingsFormSchema, readSettings, settingsFromForm } from './practicum-settings';
import { buildPracticumPage, todayIso } from './practicum.page';
import { viewFor, type PracticumView } from './practicum.policy';
import { createPracticumRouter, PRACTICUM } from './practicum.routes';
import { ACTIVITY_CATEGORIES } from './rule-packs';
import { acceptOfferedHours } from './practicum-offered';

const PRACTICUM_SECTIONS: Record<PracticumView, ShellSection[]> = {
  candidate: [
    { id: 'overview', label: 'Overview' },
    { id: 'log', label: 'Log hours' },
    { id: 'entries', label: 'Entries' },
    { id: 'mentor', label: 'Mentor' },
  ],
  faculty: [
    { id: 'review', label: 'Review' },
    { id: 'candidates', label: 'Candidates' },
    { id: 'mentors', label: 'Mentors' },
  ],
  coordinator: [
    { id: 'review', label: 'Entries' },
    { id: 'candidates', label: 'Candidates' },
  ],
  mentor: [
    { id: 'review', label: 'To verify' },
    { id: 'candidates', label: 'Mentees' },
  ],
  none: [],
};

export const practicumKind: ActivityKind = {
  type: PRACTICUM,
  label: 'Practicum log',
  description: 'Candidates log field and internship hours; mentors verify them, you approve them, and the hours are checked against the program’s rules.',
  settings: {
    partial: 'practicum/settings-fieldset',
    present: (values) => ({ practicum: presentPracticumPicker(values) }),
    parse(body) {
      const parsed = parseForm(practicumSettingsFormSchema, body);
      return parsed.ok ? { ok: true, value: settingsFromForm(parsed.value) } : parsed;
    },
    describe(stored) {
      const s = readSettings(stored);
      const rules = effectiveRules(s);
      const categories = s.categoryMinimums.map((c) => `${ACTIVITY_CATEGORIES[c.category] ?? c.category} ${c.minimumHours} h`).join(', ');
      return [
        { label: 'Rule pack', value: rules.name },
        { label: 'Required hours', value: String(s.requiredHours) },
        ...(categories ? [{ label: 'Minimum hours per category', value: categories }] : []),
        { label: 'Distinct sites', value: String(s.requiredSettings.minDistinctSites) },
        { label: 'Standards', value: frameworkTitle(s.frameworkId) },
        { label: 'Term', value: s.termStart && s.termEnd ? `${s.termStart} to ${s.termEnd}` : 'Not set' },
        { label: 'Grading', value: GRADING_MODES[s.gradingMode] },
      ];
    },
  },
  sections({ caller, activity }) {
    // Ids are those of the sections views/partials/practicum/*.hbs render for each view.
    return PRACTICUM_SECTIONS[viewFor(caller, activity)];
  },
  gradeAuthority: (activity) => (readSettings(activity.settings).gradingMode === 'completion' ? 'computed' : 'faculty'),
  async launchPage({ caller, activity, ltik }) {
    return { partial: 'practicum/panel', model: await buildPracticumPage(caller, activity, { ltik, today: todayIso() }) };
  },
  routes: (deps) => createPracticumRouter(deps),
  externalRoutes: (deps) => createMentorAccessRouter(deps),
  jobs: () => [
    // Derived records that disagree with their entries are rebuilt; grades the outbox lacks are queued.
    { name: 'reconcile-practicum-progress', everyMs: 2 * 60_000, run: async () => ({ repaired: await reconcileProgress(60_000) }) },
    { name: 'reconcile-practicum-grades', everyMs: 5 * 60_000, run: async (now) => ({ repaired: await reconcilePracticumGrades(todayIso(now)) }) },
  ],
  upgrade: async () => (await upgradePracticumMentors()) + (await upgradeProgressDocuments()),
  async awaiting({ caller, activity }) {
    const view = viewFor(caller, activity);
    if (view === 'faculty') {
      const statuses = effectiveRules(readSettings(activity.settings)).requiresMentorVerification ? ['verified'] : ['submitted', 'verified'];
      const count = await PracticumEntryModel.countDocuments({ activityId: activity._id, status: { $in: statuses } });
      return { count, label: count === 1 ? 'entry awaiting your approval' : 'entries awaiting your approval' };
    }
    if (view === 'mentor') {
      const count = await PracticumEntryModel.countDocuments({ activityId: activity._id, candidateSub: { $in: caller.menteeSubs }, status: 'submitted' });
      return { count, label: count === 1 ? 'entry awaiting your verification' : 'entries awaiting your verification' };
    }
    if (view === 'candidate') {
      const count = await PracticumEntryModel.countDocuments({ activityId: activity._id, candidateSub: caller.sub, status: { $in: ['draft', 'returned'] } });
      return { count, label: count === 1 ? 'draft or returned entry to finish' : 'drafts or returned entries to finish' };
    }
    return null;
  },
  progress: (activity, candidateSubs) => practicumProgress(activity, candidateSubs),
  externalAwaiting: (reach, kept) => practicumExternalPart(reach, kept as MentorPageState | undefined),
  acceptHours: (activity, offer) => acceptOfferedHours(activity, offer),
};
