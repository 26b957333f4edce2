import request from 'supertest';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { launchAs, parseForm, type Agent } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

export interface PracticumCourse {
  id: string;
  candidateA: SandboxPersonView;
  candidateB: SandboxPersonView;
  faculty: SandboxPersonView;
  mentorOfA: SandboxPersonView;
  designer: SandboxPersonView;
  placement: SandboxPlacementView;
  activityId: string;
}

/** A course with two candidates, a mentor of A, faculty and a practicum log placed by deep linking. */
export async function buildPracticumCourse(title = 'Internship hours', settings?: Record<string, string>): Promise<PracticumCourse> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 690 — Practicum ${suffix}`, label: `EDL690-${suffix}` });
  const [candidateA, candidateB, faculty, designer] = await Promise.all([
    addSandboxPerson(course.id, { name: `Ana Reyes ${suffix}`, email: `ana.reyes.${suffix}@univ.example`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Ben Okafor ${suffix}`, email: `ben.okafor.${suffix}@univ.example`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Dr. Faye Lin ${suffix}`, roles: 'faculty' }),
    addSandboxPerson(course.id, { name: `Dee Signer ${suffix}`, roles: 'designer' }),
  ]);
  const mentorOfA = await addSandboxPerson(course.id, { name: `Mo Mentor ${suffix}`, roles: 'mentor', menteeIds: [candidateA.id] });
  const placement = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `${title} ${suffix}`, points: 50, settings });
  return { id: course.id, candidateA, candidateB, faculty, mentorOfA, designer, placement, activityId: placement.custom.activity_id };
}

export interface Session {
  agent: Agent;
  ltik: string;
  text: string;
}

export async function open(person: SandboxPersonView, placement: SandboxPlacementView): Promise<Session> {
  const res = await launchAs(testServer().baseUrl, { personId: person.id, placementId: placement.id });
  if (res.status !== 200 || !res.ltik) throw new Error(`launch failed: ${res.status} ${res.text.slice(0, 300)}`);
  return { agent: res.agent, ltik: res.ltik, text: res.text };
}

export function post(session: Session, path: string, body: Record<string, string | string[]>) {
  return session.agent.post(path).type('form').send({ ltik: session.ltik, ...body });
}

export function get(session: Session, path: string) {
  return session.agent.get(`${path}${path.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(session.ltik)}`);
}

export const anonymous = () => request(testServer().baseUrl);

export const COMPLETE_ENTRY = {
  date: '2026-10-05',
  hours: '2.5',
  siteName: 'Lincoln Elementary',
  siteDistrict: 'District 7',
  gradeBand: 'elementary',
  populations: ['special-education', 'english-learners'],
  category: 'observation-feedback',
  standards: ['4', '6.1'],
  description: 'Co-observed two classrooms with the principal and drafted feedback.',
  reflection: 'Feedback works best when it is specific.',
  mentorName: 'Mo Mentor',
};

/** The entry-form values rendered in a page (to read back what was kept). */
export function formValues(html: string) {
  return parseForm(html, 'entryId').fields;
}

export async function placeInOtherCourse(activityId: string) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 691 ${suffix}`, label: `EDL691-${suffix}` });
  const faculty = await addSandboxPerson(course.id, { name: `Other Faculty ${suffix}`, roles: 'faculty' });
  const placement = await createSandboxPlacement(course.id, { kind: 'resource_link', title: 'Borrowed link', custom: { activity_id: activityId, activity_type: 'practicum-log' } });
  return { faculty, placement };
}
