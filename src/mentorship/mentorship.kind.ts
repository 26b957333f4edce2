/** Mentorship check-ins as an activity kind (the second tenant of src/activities/activity-kind.ts). */
import type { ActivityKind, ShellSection } from '../activities/activity-kind';
import type { CourseView } from '../activities/activity.policy';
import { parseForm } from '../platform/validate';
import { CheckInModel, type CheckIn } from './checkin.model';
import { computeCompliance } from './compliance';
import { cadenceStart, reconcileMentorshipGrades } from './mentorship-grade';
import { MENTORSHIP } from './mentorship-type';
import { buildMentorshipPage, todayIso } from './mentorship.page';
import { mentorshipView } from './mentorship.policy';
import { createMentorshipRouter } from './mentorship.routes';
import { MENTORSHIP_REMINDERS_JOB, runMentorshipReminders } from './reminders';
import { createMentorshipAccessRouter } from './mentorship-mentor.routes';
import { mentorshipExternalPart, type MentorshipPageState } from './mentorship-mentor.page';
import { describeMentorshipSettings, mentorshipSettingsFormSchema, mentorshipSettingsFromForm, presentMentorshipPicker, readMentorshipSettings } from './mentorship-settings';

const SECTIONS: Record<CourseView, ShellSection[]> = {
  candidate: [
    { id: 'overview', label: 'Overview' },
    { id: 'plan', label: 'Plan or record' },
    { id: 'checkins', label: 'Check-ins' },
    { id: 'goals', label: 'Goals' },
    { id: 'history', label: 'History' },
  ],
  mentor: [
    { id: 'sign-off', label: 'To sign off' },
    { id: 'compliance', label: 'Mentees' },
  ],
  faculty: [
    { id: 'compliance', label: 'Compliance' },
    { id: 'sign-off', label: 'Awaiting sign-off' },
  ],
  coordinator: [
    { id: 'compliance', label: 'Compliance' },
    { id: 'sign-off', label: 'Awaiting sign-off' },
  ],
  none: [],
};

export const mentorshipKind: ActivityKind = {
  type: MENTORSHIP,
  label: 'Mentorship check-ins',
  description: 'Candidates plan and record regular meetings with their mentor — agenda, SMART goals, action items, a wellbeing pulse; mentors sign off, and you see who keeps the cadence.',
  settings: {
    partial: 'mentorship/settings-fieldset',
    present: (values) => ({ mentorship: presentMentorshipPicker(values) }),
    parse(body) {
      const parsed = parseForm(mentorshipSettingsFormSchema, body);
      return parsed.ok ? { ok: true, value: mentorshipSettingsFromForm(parsed.value) } : parsed;
    },
    describe: describeMentorshipSettings,
  },
  sections: ({ caller, activity }) => SECTIONS[mentorshipView(caller, activity)],
  gradeAuthority: (activity) => (readMentorshipSettings(activity.settings).gradingMode === 'completion' ? 'computed' : 'faculty'),
  async launchPage({ caller, activity, ltik }) {
    return { partial: 'mentorship/panel', model: await buildMentorshipPage(caller, activity, { ltik, today: todayIso() }) };
  },
  routes: (deps) => createMentorshipRouter(deps),
  externalRoutes: (deps) => createMentorshipAccessRouter(deps),
  externalAwaiting: (reach, kept) => mentorshipExternalPart(reach, kept as MentorshipPageState | undefined),
  jobs: (deps) => [
    { name: 'reconcile-mentorship-grades', everyMs: 5 * 60_000, run: async (now) => ({ repaired: await reconcileMentorshipGrades(todayIso(now)) }) },
    // Hourly: each reminder is keyed by what it is about, so a run repeats nothing an earlier run sent.
    { name: MENTORSHIP_REMINDERS_JOB, everyMs: 60 * 60_000, leaseMs: 30 * 60_000, run: async (now) => ({ ...(await runMentorshipReminders(deps, now)) }) },
  ],
  async awaiting({ caller, activity }) {
    const view = mentorshipView(caller, activity);
    if (view === 'mentor') {
      if (!readMentorshipSettings(activity.settings).requiresSignOff) return null;
      const count = await CheckInModel.countDocuments({ activityId: activity._id, candidateSub: { $in: caller.menteeSubs }, status: 'held' });
      return { count, label: count === 1 ? 'check-in awaiting your sign-off' : 'check-ins awaiting your sign-off' };
    }
    if (view === 'candidate') {
      const count = await CheckInModel.countDocuments({ activityId: activity._id, candidateSub: caller.sub, status: 'changes-requested' });
      return { count, label: count === 1 ? 'check-in to revise' : 'check-ins to revise' };
    }
    if (view === 'faculty') {
      const settings = readMentorshipSettings(activity.settings);
      const all = await CheckInModel.find({ activityId: activity._id }).lean<CheckIn[]>();
      const by = new Map<string, CheckIn[]>();
      for (const c of all) by.set(c.candidateSub, [...(by.get(c.candidateSub) ?? []), c]);
      const today = todayIso();
      const count = [...by.values()].filter((own) => computeCompliance(settings, own, today, cadenceStart(activity)).isOverdue).length;
      return { count, label: count === 1 ? 'candidate overdue for a check-in' : 'candidates overdue for a check-in' };
    }
    return null;
  },
  async progress(activity, candidateSubs) {
    const settings = readMentorshipSettings(activity.settings);
    const all = candidateSubs.length ? await CheckInModel.find({ activityId: activity._id, candidateSub: { $in: [...candidateSubs] } }).lean<CheckIn[]>() : [];
    const today = todayIso();
    return new Map(
      candidateSubs.map((sub) => {
        const c = computeCompliance(settings, all.filter((x) => x.candidateSub === sub), today, cadenceStart(activity));
        const word = settings.requiresSignOff ? 'signed off' : 'held';
        return [sub, { label: c.isComplete ? 'Complete' : c.held === 0 ? 'Not started' : c.isOverdue ? 'Overdue' : 'In progress', percent: c.percent, isComplete: c.isComplete, summary: `${c.counted} of ${c.requiredForTerm} check-ins ${word}.` }];
      }),
    );
  },
};
