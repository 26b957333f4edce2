import { expect } from 'chai';
import request from 'supertest';
import { ActivityModel } from '../../src/activities/activity.model';
import { GradeOutboxModel } from '../../src/grading/outbox.model';
import { readGradeSyncRecord } from '../../src/grading/outbox.service';
import { LtiUserModel } from '../../src/lti/lti-user.model';
import {
  addSandboxPerson,
  createSandboxCourse,
  createSandboxPlacement,
  getSandboxGrade,
  getSandboxScores,
  getSandboxRejectedScores,
  type SandboxPersonView,
  type SandboxPlacementView,
} from '../../src/sandbox';
import { decodeHtml, deepLinkAs, launchAs, submitPicker } from '../helpers/sandbox-launch';
import { placeActivity as placeCourseActivity } from '../helpers/activity-kit';
import { testServer } from '../helpers/test-server';

interface Course {
  id: string;
  title: string;
  candidate: SandboxPersonView;
  testStudent: SandboxPersonView;
  faculty: SandboxPersonView;
  designer: SandboxPersonView;
  addActivity: SandboxPlacementView;
}

async function buildCourse(): Promise<Course> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 630 — Field Experience ${suffix}`, label: `EDL630-${suffix}` });
  const [candidate, testStudent, faculty, designer] = await Promise.all([
    addSandboxPerson(course.id, { name: `Lena Ortiz ${suffix}`, given: 'Lena', family: 'Ortiz', email: `lena.${suffix}@example.edu`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: 'Test Student', roles: 'test-student' }),
    addSandboxPerson(course.id, { name: `Dr. Hana Sato ${suffix}`, email: `hana.${suffix}@example.edu`, roles: 'faculty' }),
    addSandboxPerson(course.id, { name: 'Omar Designer', roles: 'designer' }),
  ]);
  const addActivity = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
  return { id: course.id, title: course.title, candidate, testStudent, faculty, designer, addActivity };
}

/** Faculty place an activity by deep linking; returns the placement the Sandbox created. */
function placeActivity(course: Course, title: string, points: number, settings?: Record<string, string>): Promise<SandboxPlacementView> {
  return placeCourseActivity({ courseId: course.id, facultyId: course.faculty.id, addActivityPlacementId: course.addActivity.id, title, points, settings });
}

/** An activity whose grade faculty send by hand (the manual grade form is only there). */
const FACULTY_SCORE = { gradingMode: 'faculty-score' };

describe('first launch, deep linking and a grade', () => {
  let course: Course;
  before(async () => {
    course = await buildCourse();
  });

  it('a candidate launch shows a header with the placement, the course, their name and role in plain words (no identity card), and records the user', async () => {
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    const res = await launchAs(testServer().baseUrl, { personId: course.candidate.id, placementId: nav.id });
    expect(res.status).to.equal(200);
    const page = decodeHtml(res.text);
    expect(page).to.include(course.candidate.name);
    expect(page).to.match(/data-testid="fieldbook-role">Candidate</);
    expect(page).to.include(course.title);
    expect(page).to.match(/data-testid="shell-title">Fieldbook</);
    expect(page).to.match(/data-testid="course-title">[^<]*EDL 630/);
    expect(page).not.to.include('Signed in through your LMS');
    expect(page).not.to.include('Fieldbook role');
    expect(page).not.to.include('Send a grade');
    const user = await LtiUserModel.findOne({ sub: course.candidate.sub }).lean();
    expect(user?.primaryRole).to.equal('candidate');
    expect(user?.isTestUser).to.equal(false);
  });

  it('flags the LMS test student as a test user', async () => {
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    const res = await launchAs(testServer().baseUrl, { personId: course.testStudent.id, placementId: nav.id });
    expect(res.text).to.include('LMS test user');
    const user = await LtiUserModel.findOne({ sub: course.testStudent.sub }).lean();
    expect(user?.isTestUser).to.equal(true);
  });

  it('faculty place an activity by deep linking; the Sandbox gets a resource link with a gradebook column', async () => {
    const placed = await placeActivity(course, 'Internship hours — fall', 50);
    expect(placed.lineItemId).to.be.a('string');
    expect(placed.custom.activity_type).to.equal('practicum-log');
    const activity = await ActivityModel.findById(placed.custom.activity_id).lean();
    expect(activity).to.include({ title: 'Internship hours — fall', pointsPossible: 50, type: 'practicum-log' });
    expect(activity?.createdBy).to.equal(course.faculty.sub);

    const launched = await launchAs(testServer().baseUrl, { personId: course.candidate.id, placementId: placed.id });
    expect(decodeHtml(launched.text)).to.match(/data-testid="activity-type">Practicum log · 50 points/);
    const bound = await ActivityModel.findById(placed.custom.activity_id).lean();
    expect(bound?.resourceLinkIds).to.include(placed.resourceLinkId);
  });

  it('keeps what faculty typed when the activity form is invalid', async () => {
    const picker = await deepLinkAs(testServer().baseUrl, { personId: course.faculty.id, placementId: course.addActivity.id });
    const res = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title: 'Kept title', pointsPossible: '-5' });
    expect(res.status).to.equal(400);
    expect(res.text).to.include('value="Kept title"');
    expect(res.text).to.include('Points cannot be negative.');
    expect(await ActivityModel.countDocuments({ title: 'Kept title' })).to.equal(0);
  });

  it('refuses placing an activity to a candidate (403) and outside a deep-linking launch (400)', async () => {
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    const candidate = await launchAs(testServer().baseUrl, { personId: course.candidate.id, placementId: nav.id });
    const denied = await candidate.agent.post('/lti/deep-link/submit').type('form').send({ ltik: candidate.ltik, activityType: 'practicum-log', title: 'Sneaky', pointsPossible: '10' });
    expect(denied.status).to.equal(403);
    const faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: nav.id });
    const notDeepLinking = await faculty.agent.post('/lti/deep-link/submit').type('form').send({ ltik: faculty.ltik, activityType: 'practicum-log', title: 'Sneaky', pointsPossible: '10' });
    expect(notDeepLinking.status).to.equal(400);
    expect(await ActivityModel.countDocuments({ title: 'Sneaky' })).to.equal(0);
  });

  it('faculty send a grade that appears in the Sandbox gradebook', async () => {
    const placed = await placeActivity(course, 'Practicum grade', 20, FACULTY_SCORE);
    const faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: placed.id });
    expect(faculty.text).to.include('Send a grade');
    expect(decodeHtml(faculty.text)).to.include(course.candidate.name);
    const res = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: course.candidate.sub, scoreGiven: '17.5', comment: 'Strong start' });
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('data-testid="score-sent"');
    expect(res.text).to.match(/data-testid="grade-sync-row" data-user="[^"]+" data-state="sent"/);
    const grade = await getSandboxGrade(placed.lineItemId!, course.candidate.sub);
    expect(grade).to.include({ scoreGiven: 17.5, scoreMaximum: 20, comment: 'Strong start' });
    const outbox = await readGradeSyncRecord(placed.custom.activity_id, course.candidate.sub);
    expect(outbox).to.include({ state: 'sent', version: 1, sentVersion: 1, sentScoreGiven: 17.5 });
  });

  it('grades someone who joined the course after the roster was read (a cached roster is read again before refusing)', async () => {
    const placed = await placeActivity(course, 'Late joiner grade', 10, FACULTY_SCORE);
    const faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: placed.id });
    const first = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: course.candidate.sub, scoreGiven: '6' });
    expect(first.status, first.text).to.equal(200);
    const lateJoiner = await addSandboxPerson(course.id, { name: 'Late Joiner', roles: 'candidate' });
    const res = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: lateJoiner.sub, scoreGiven: '7' });
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('data-testid="score-sent"');
    expect(await getSandboxGrade(placed.lineItemId!, lateJoiner.sub)).to.include({ scoreGiven: 7 });
  });

  it('keeps a grade for the LMS test student as skipped: never sent, nothing in the gradebook, no refused attempt', async () => {
    const placed = await placeActivity(course, 'Refused grade', 10, FACULTY_SCORE);
    const faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: placed.id });
    const res = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: course.testStudent.sub, scoreGiven: '5' });
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('data-testid="score-skipped"');
    expect(decodeHtml(res.text)).to.include('LMS test user — no grade is sent');
    expect(res.text).to.match(/data-testid="grade-sync-row" data-user="[^"]+" data-state="skipped"/);
    const outbox = await readGradeSyncRecord(placed.custom.activity_id, course.testStudent.sub);
    expect(outbox).to.include({ state: 'skipped', scoreGiven: 5, sentVersion: 0, attempts: 0 });
    expect(await getSandboxGrade(placed.lineItemId!, course.testStudent.sub)).to.equal(null);
    expect(await getSandboxScores(placed.lineItemId!, course.testStudent.sub)).to.have.length(0);
    const rejected = await getSandboxRejectedScores(course.id);
    expect(rejected.some((r) => (r as { userId?: string }).userId === course.testStudent.sub)).to.equal(false);
  });

  it('validates the grade and keeps the input', async () => {
    const placed = await placeActivity(course, 'Validated grade', 10, FACULTY_SCORE);
    const faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: placed.id });
    const tooMany = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: course.candidate.sub, scoreGiven: '11', comment: 'kept comment' });
    expect(tooMany.status).to.equal(400);
    expect(tooMany.text).to.include('At most 10 points.');
    expect(tooMany.text).to.include('value="kept comment"');
    const notMember = await faculty.agent.post('/lti/scores').type('form').send({ ltik: faculty.ltik, userId: 'someone-else', scoreGiven: '1' });
    expect(notMember.status).to.equal(404);
    expect(await getSandboxGrade(placed.lineItemId!, course.candidate.sub)).to.equal(null);
    expect(await GradeOutboxModel.countDocuments({ activityId: placed.custom.activity_id })).to.equal(0);
  });

  it('refuses grading to a candidate (403) and to a request without a session (401)', async () => {
    const placed = await placeActivity(course, 'Protected grade', 10, FACULTY_SCORE);
    const candidate = await launchAs(testServer().baseUrl, { personId: course.candidate.id, placementId: placed.id });
    const forbidden = await candidate.agent.post('/lti/scores').type('form').send({ ltik: candidate.ltik, userId: course.candidate.sub, scoreGiven: '10' });
    expect(forbidden.status).to.equal(403);
    const anonymous = await request(testServer().baseUrl).post('/lti/scores').type('form').send({ userId: course.candidate.sub, scoreGiven: '10' });
    expect(anonymous.status).to.equal(401);
    expect(await getSandboxGrade(placed.lineItemId!, course.candidate.sub)).to.equal(null);
    expect(await GradeOutboxModel.countDocuments({ activityId: placed.custom.activity_id })).to.equal(0);
  });

  it('a designer can place activities but sees no roster or grading', async () => {
    const picker = await deepLinkAs(testServer().baseUrl, { personId: course.designer.id, placementId: course.addActivity.id });
    expect(picker.status).to.equal(200);
    const placed = await placeActivity(course, 'Designer view', 10);
    const designer = await launchAs(testServer().baseUrl, { personId: course.designer.id, placementId: placed.id });
    expect(designer.text).to.match(/data-testid="fieldbook-role">Course designer</);
    expect(designer.text).not.to.include('Send a grade');
  });
});

describe('coordinator and mentor launches', () => {
  it('account navigation with the coordinator placement opens the coordinator view without a course', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 650 ${suffix}`, label: `EDL650-${suffix}` });
    const coordinator = await addSandboxPerson(course.id, { name: `Grace Coordinator ${suffix}`, roles: 'coordinator' });
    const accountNav = await createSandboxPlacement(null, { kind: 'account_navigation', title: 'Fieldbook cohorts', custom: { fieldbook_role: 'coordinator' } });
    const res = await launchAs(testServer().baseUrl, { personId: coordinator.id, placementId: accountNav.id });
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/data-testid="fieldbook-role">Program coordinator</);
    expect(res.text).not.to.include('data-testid="course-title"');
  });

  it('a Canvas-style observer launches as a mentor', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 651 ${suffix}`, label: `EDL651-${suffix}` });
    const mentee = await addSandboxPerson(course.id, { name: `Mentee ${suffix}`, roles: 'candidate' });
    const mentor = await addSandboxPerson(course.id, { name: `Mentor ${suffix}`, roles: 'mentor', menteeIds: [mentee.id] });
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    const res = await launchAs(testServer().baseUrl, { personId: mentor.id, placementId: nav.id });
    expect(res.text).to.match(/data-testid="fieldbook-role">Mentor</);
    const user = await LtiUserModel.findOne({ sub: mentor.sub }).lean();
    expect(user?.primaryRole).to.equal('mentor');
  });
});
