import { addSandboxPerson, createSandboxCourse, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { CheckInModel } from '../../src/mentorship/checkin.model';
import { addDays } from '../../src/mentorship/compliance';
import { todayIso } from '../../src/mentorship/mentorship.page';
import { placeActivity } from '../helpers/activity-kit';
import { parseForm } from '../helpers/sandbox-launch';
import { post, type Session } from '../practicum/practicum-kit';

export interface MentorshipCourse {
  id: string;
  candidateA: SandboxPersonView;
  candidateB: SandboxPersonView;
  faculty: SandboxPersonView;
  coordinator: SandboxPersonView;
  mentorOfA: SandboxPersonView;
  placement: SandboxPlacementView;
  activityId: string;
}

/** A course with two candidates, an LMS mentor of A, faculty, a coordinator and a check-in activity placed by deep linking. */
export async function buildMentorshipCourse(settings: Record<string, string | string[]> = {}): Promise<MentorshipCourse> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 695 — Mentoring ${suffix}`, label: `EDL695-${suffix}` });
  const [candidateA, candidateB, faculty, coordinator] = await Promise.all([
    addSandboxPerson(course.id, { name: `Ana Reyes ${suffix}`, email: `ana.${suffix}@univ.example`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Ben Okafor ${suffix}`, email: `ben.${suffix}@univ.example`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Dr. Faye Lin ${suffix}`, roles: 'faculty' }),
    addSandboxPerson(course.id, { name: `Cora Coordinator ${suffix}`, roles: 'coordinator' }),
  ]);
  const mentorOfA = await addSandboxPerson(course.id, { name: `Mo Mentor ${suffix}`, roles: 'mentor', menteeIds: [candidateA.id] });
  const placement = await placeActivity({
    courseId: course.id,
    facultyId: faculty.id,
    title: `Mentor check-ins ${suffix}`,
    points: 30,
    activityType: 'mentorship-checkins',
    settings: { ci_cadence: 'per-term', ci_perTerm: '3', ci_termStart: day(-60), ci_termEnd: day(60), ci_graceDays: '3', ci_requiredParts: ['agenda', 'candidateNotes', 'actionItems'], ci_requiresSignOff: 'yes', ci_templates: ['goal-setting', 'open'], ...settings },
  });
  return { id: course.id, candidateA, candidateB, faculty, coordinator, mentorOfA, placement, activityId: placement.custom.activity_id };
}

/** A day relative to today (YYYY-MM-DD): the term runs from 60 days ago to 60 days ahead, so due dates fall at −20, +20 and +60 days. */
export const day = (offset: number) => addDays(todayIso(), offset);

export const HELD = {
  intent: 'record',
  date: day(-10),
  time: '15:30',
  durationMinutes: '45',
  mode: 'video',
  location: 'https://meet.example/abc',
  template: 'goal-setting',
  agenda: 'Goals for the term',
  candidateNotes: 'We agreed on two goals.',
  item_0_text: 'Draft the family-engagement plan',
  item_0_owner: 'candidate',
  item_0_due: day(4),
};

/** The check-in form's one-time token on a rendered page. */
export const formTokenOf = (html: string) => parseForm(html, 'formToken').fields.formToken;

export async function recordHeld(session: Session, fields: Record<string, string | string[]> = {}) {
  return post(session, '/lti/mentorship/checkins', { ...HELD, ...fields });
}

export const checkInsOf = (course: MentorshipCourse, sub: string) => CheckInModel.find({ activityId: course.activityId, candidateSub: sub }).sort({ date: 1, createdAt: 1 }).lean();
