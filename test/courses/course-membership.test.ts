import { expect } from 'chai';
import { CourseMembershipModel, membershipId } from '../../src/courses/course-membership.model';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, get, open, post } from '../practicum/practicum-kit';

interface Course {
  id: string;
  launched: SandboxPersonView;
  neverLaunched: SandboxPersonView;
  testStudent: SandboxPersonView;
  faculty: SandboxPersonView;
  placed: SandboxPlacementView;
}

async function buildCourse(): Promise<Course> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `Roster ${suffix}`, label: `ROS-${suffix}` });
  const [launched, neverLaunched, testStudent, faculty] = await Promise.all([
    addSandboxPerson(course.id, { name: `Lia Launched ${suffix}`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Nora Neverlaunched ${suffix}`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: 'Test Student', roles: 'test-student' }),
    addSandboxPerson(course.id, { name: `Dr. Roster ${suffix}`, roles: 'faculty' }),
  ]);
  const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Roster hours ${suffix}`, points: 10 });
  return { id: course.id, launched, neverLaunched, testStudent, faculty, placed };
}

describe('course memberships: who is in the course, launched or not', () => {
  let course: Course;
  before(async () => {
    course = await buildCourse();
  });

  it('a launch records the person’s membership of the course with their Fieldbook roles', async () => {
    await open(course.launched, course.placed);
    const docs = await CourseMembershipModel.find({ sub: course.launched.sub }).lean();
    expect(docs).to.have.length(1);
    expect(docs[0]).to.include({ contextId: course.id, status: 'active', isTestUser: false });
    expect(docs[0].roles).to.deep.equal(['candidate']);
    expect(docs[0].lastLaunchAt).to.be.instanceOf(Date);
  });

  it('a faculty launch reads the roster: candidates who never launched are recorded and listed in the cohort; the test student is not', async () => {
    const faculty = await open(course.faculty, course.placed);
    const never = await CourseMembershipModel.findOne({ sub: course.neverLaunched.sub }).lean();
    expect(never).to.include({ contextId: course.id, status: 'active' });
    expect(never?.lastLaunchAt ?? null, 'never launched').to.equal(null);
    expect(never?.roles).to.deep.equal(['candidate']);
    expect(never?.name).to.equal(course.neverLaunched.name);
    expect((await CourseMembershipModel.findOne({ sub: course.testStudent.sub }).lean())?.isTestUser).to.equal(true);
    const page = decodeHtml(faculty.text);
    expect(page).to.include(course.neverLaunched.name);
    expect(page).not.to.match(/<td[^>]*>Test Student</);
  });

  it('faculty refresh the roster on demand: someone added since shows without waiting for the next scheduled read', async () => {
    const late = await addSandboxPerson(course.id, { name: 'Lou Latecomer', roles: 'candidate' });
    const faculty = await open(course.faculty, course.placed);
    // Read a moment ago: a launch does not read it again.
    expect(await CourseMembershipModel.countDocuments({ sub: late.sub })).to.equal(0);
    const refreshed = await post(faculty, '/lti/course/roster', { aid: course.placed.custom.activity_id });
    expect(refreshed.status).to.equal(303);
    expect(refreshed.headers.location).to.match(/^\/lti\/activity\?ltik=.+&aid=[a-f0-9]{24}$/);
    const recorded = await CourseMembershipModel.findOne({ sub: late.sub }).lean();
    expect(recorded).to.include({ status: 'active', contextId: course.id });
    // Keyed by (platform, course, person): found by _id alone.
    expect(recorded?._id).to.equal(membershipId(recorded!.iss, recorded!.clientId, course.id, late.sub));
    expect(decodeHtml((await get(faculty, `/lti/activity?aid=${course.placed.custom.activity_id}`)).text)).to.include('Lou Latecomer');
  });

  it('refuses the roster refresh to a candidate (403) and without a session (401)', async () => {
    const candidate = await open(course.launched, course.placed);
    expect((await post(candidate, '/lti/course/roster', {})).status).to.equal(403);
    expect((await anonymous().post('/lti/course/roster').type('form').send({})).status).to.equal(401);
  });
});

describe('coordinators see only the courses where the LMS gave them that role', () => {
  it('a coordinator in the course sees its practicum read-only; from account navigation there is no course to show', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const mine = await createSandboxCourse({ title: `Coordinated ${suffix}`, label: `CO-${suffix}` });
    const theirs = await createSandboxCourse({ title: `Not coordinated ${suffix}`, label: `NC-${suffix}` });
    const [coordinator, faculty, otherFaculty, otherCoordinator] = await Promise.all([
      addSandboxPerson(mine.id, { name: `Cory Coordinator ${suffix}`, roles: 'coordinator' }),
      addSandboxPerson(mine.id, { name: 'Dr. Mine', roles: 'faculty' }),
      addSandboxPerson(theirs.id, { name: 'Dr. Theirs', roles: 'faculty' }),
      addSandboxPerson(theirs.id, { name: `Coordinator elsewhere ${suffix}`, roles: 'coordinator' }),
    ]);
    const placed = await placeActivity({ courseId: mine.id, facultyId: faculty.id, title: `Coordinated hours ${suffix}`, points: 10 });
    await placeActivity({ courseId: theirs.id, facultyId: otherFaculty.id, title: `Other hours ${suffix}`, points: 10 });
    const inCourse = await open(coordinator, placed);
    expect(inCourse.text).to.match(/data-testid="practicum-panel" data-view="coordinator"/);
    expect((await post(inCourse, '/lti/practicum/entries/approve', { entries: ['aaaaaaaaaaaaaaaaaaaaaaaa:1'] })).status).to.equal(403);
    // A coordinator of another course on the same platform, asking for this course's activity by id.
    const elsewhereNav = await createSandboxPlacement(theirs.id, { kind: 'course_navigation', title: 'Fieldbook' });
    const elsewhere = await open(otherCoordinator, elsewhereNav);
    expect((await get(elsewhere, `/lti/activity?aid=${placed.custom.activity_id}`)).status).to.equal(404);
    const accountNav = await createSandboxPlacement(null, { kind: 'account_navigation', title: 'Fieldbook cohorts', custom: { fieldbook_role: 'coordinator' } });
    const account = await open(coordinator, accountNav);
    expect(decodeHtml(account.text)).to.include('Open Fieldbook from a course to see its activities.');
    expect(account.text).not.to.include(placed.custom.activity_id);
  });
});
