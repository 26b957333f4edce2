import { expect } from 'chai';
import { ActivityModel, type Activity } from '../../src/activities/activity.model';
import { recordActivityGrade } from '../../src/grading/activity-grade';
import { ACTIVITY_KINDS } from '../../src/activities/registry';
import { runGradeSenderOnce, WAITING_FOR_LINE_ITEM } from '../../src/grading/grade-sender';
import { GradeOutboxModel } from '../../src/grading/outbox.model';
import { readGradeSyncRecord } from '../../src/grading/outbox.service';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { addSandboxPerson, copySandboxCourse, createSandboxCourse, createSandboxPlacement, getSandboxGrade, listSandboxPeople, listSandboxPlacements, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml, launchAs } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { COMPLETE_ENTRY, get, open, post, type Session } from '../practicum/practicum-kit';

/** A practicum that needs no mentor and 2 hours, so one approved entry completes it. */
const QUICK = { rulePackId: 'custom', requiredHours: '2' };

interface Course {
  id: string;
  candidate: SandboxPersonView;
  faculty: SandboxPersonView;
  nav: SandboxPlacementView;
  placed: SandboxPlacementView;
}

async function buildCourse(label: string): Promise<Course> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `${label} ${suffix}`, label: `${label.replace(/\W/g, '')}-${suffix}` });
  const [candidate, faculty] = await Promise.all([
    addSandboxPerson(course.id, { name: `Cara Candidate ${suffix}`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Dr. Fay ${suffix}`, roles: 'faculty' }),
  ]);
  const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Field hours ${suffix}`, points: 10, settings: QUICK });
  const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
  return { id: course.id, candidate, faculty, nav, placed };
}

/** Submit through the course home (no AGS line item claim in that launch), then approve the same way. */
async function submitAndApproveFromCourseNav(course: Course, activityId: string) {
  const candidate = await open(course.candidate, course.nav);
  const submitted = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, aid: activityId, intent: 'submit' });
  expect(submitted.status, submitted.text).to.equal(200);
  const entry = await PracticumEntryModel.findOne({ activityId, candidateSub: course.candidate.sub }).lean();
  const faculty = await open(course.faculty, course.nav);
  const approved = await post(faculty, '/lti/practicum/entries/approve', { aid: activityId, entries: [`${String(entry!._id)}:${entry!.version}`] });
  expect(approved.status, approved.text).to.equal(200);
  expect(decodeHtml(approved.text)).to.include('was queued for the gradebook');
  return { candidate, faculty };
}

describe('activity kinds: one seam, one course per activity', () => {
  it('the registry holds the practicum log and mentorship check-ins, and only built kinds are offered', () => {
    expect(ACTIVITY_KINDS.map((k) => k.type)).to.deep.equal(['practicum-log', 'mentorship-checkins']);
  });

  it('a course-navigation launch lists the course’s activities and opens one by id only within the course', async () => {
    const course = await buildCourse('Course home');
    const other = await buildCourse('Other course');
    const faculty = await open(course.faculty, course.nav);
    expect(faculty.text).to.include('data-testid="course-home"');
    expect(faculty.text).to.include(`data-activity="${course.placed.custom.activity_id}"`);
    expect(faculty.text).not.to.include(`data-activity="${other.placed.custom.activity_id}"`);
    const opened = await get(faculty, `/lti/activity?aid=${course.placed.custom.activity_id}`);
    expect(opened.status).to.equal(200);
    expect(opened.text).to.match(/data-testid="practicum-panel" data-view="faculty"/);
    // Another course's activity id, asked for from this course: not found, nothing shown.
    const foreign = await get(faculty, `/lti/activity?aid=${other.placed.custom.activity_id}`);
    expect(foreign.status).to.equal(404);
    const foreignPost = await post(faculty, '/lti/practicum/entries/approve', { aid: other.placed.custom.activity_id, entries: ['aaaaaaaaaaaaaaaaaaaaaaaa:1'] });
    expect(foreignPost.status).to.equal(404);
  });

  it('an approval made from a launch without an AGS claim reaches the gradebook through the activity’s stored column', async () => {
    const course = await buildCourse('No claim');
    const activityId = course.placed.custom.activity_id;
    // Any launch of the placement teaches Fieldbook the column.
    await open(course.faculty, course.placed);
    expect((await ActivityModel.findById(activityId).lean())?.lineItemUrl).to.match(/\/lineitems\//);
    await submitAndApproveFromCourseNav(course, activityId);
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placed.lineItemId!, course.candidate.sub)).to.include({ scoreGiven: 10, scoreMaximum: 10 });
  });

  it('a grade recorded before any launch named the column waits (shown with its reason) and is sent once a launch names it', async () => {
    const course = await buildCourse('Waiting column');
    const activityId = course.placed.custom.activity_id;
    await submitAndApproveFromCourseNav(course, activityId);
    await runGradeSenderOnce();
    const waiting = await readGradeSyncRecord(activityId, course.candidate.sub);
    expect(waiting).to.include({ state: 'retrying', reason: WAITING_FOR_LINE_ITEM });
    expect(waiting?.lineItemUrl ?? null).to.equal(null);
    expect(await getSandboxGrade(course.placed.lineItemId!, course.candidate.sub)).to.equal(null);
    const fromNav = await open(course.faculty, course.nav);
    const syncTable = await get(fromNav, `/lti/activity?aid=${activityId}`);
    expect(decodeHtml(syncTable.text)).to.include('Waiting for the LMS to name this activity’s gradebook column');
    // A launch of the placement names the column: the waiting grade is due at once.
    await open(course.faculty, course.placed);
    const released = await readGradeSyncRecord(activityId, course.candidate.sub);
    expect(released).to.include({ state: 'pending' });
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placed.lineItemId!, course.candidate.sub)).to.include({ scoreGiven: 10 });
    expect(await readGradeSyncRecord(activityId, course.candidate.sub)).to.include({ state: 'sent', sentScoreGiven: 10 });
  });

  it('a grade recorded with no LTI session at all (a background job) is sent to the activity’s column', async () => {
    const course = await buildCourse('No session');
    await open(course.faculty, course.placed);
    const activity = (await ActivityModel.findById(course.placed.custom.activity_id).lean())!;
    await recordActivityGrade(activity as Activity, { candidateSub: course.candidate.sub, scoreGiven: 4, activityProgress: 'InProgress', gradingProgress: 'FullyGraded', comment: 'From a job' });
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placed.lineItemId!, course.candidate.sub)).to.include({ scoreGiven: 4, scoreMaximum: 10, comment: 'From a job' });
  });

  it('a computed grade has one authority: no manual grade form, and a posted score is refused (409, nothing recorded)', async () => {
    const course = await buildCourse('One authority');
    const faculty = await open(course.faculty, course.placed);
    expect(faculty.text).not.to.include('Send a grade');
    const res = await post(faculty, '/lti/scores', { userId: course.candidate.sub, scoreGiven: '5' });
    expect(res.status).to.equal(409);
    expect(await GradeOutboxModel.countDocuments({ activityId: course.placed.custom.activity_id })).to.equal(0);
  });

  it('an empty Points field is a field error, never a grade of 0', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const sandboxCourse = await createSandboxCourse({ title: `Empty points ${suffix}`, label: `EP-${suffix}` });
    const [candidate, facultyPerson] = await Promise.all([
      addSandboxPerson(sandboxCourse.id, { name: 'Ema Empty', roles: 'candidate' }),
      addSandboxPerson(sandboxCourse.id, { name: 'Dr. Empty', roles: 'faculty' }),
    ]);
    const placed = await placeActivity({ courseId: sandboxCourse.id, facultyId: facultyPerson.id, title: `Scored ${suffix}`, points: 10, settings: { gradingMode: 'faculty-score' } });
    const faculty = await open(facultyPerson, placed);
    expect(faculty.text).to.include('Send a grade');
    const res = await post(faculty, '/lti/scores', { userId: candidate.sub, scoreGiven: '', comment: 'kept' });
    expect(res.status).to.equal(400);
    expect(res.text).to.include('Enter the points.');
    expect(res.text).to.include('value="kept"');
    expect(await GradeOutboxModel.countDocuments({ activityId: placed.custom.activity_id })).to.equal(0);
    expect(await getSandboxGrade(placed.lineItemId!, candidate.sub)).to.equal(null);
  });
});

describe('activity kinds: a placement copied with its course gets its own activity', () => {
  let original: Course;
  let copyCourseId: string;
  let copyPlacement: SandboxPlacementView;
  let copyFaculty: SandboxPersonView;
  let copyCandidate: SandboxPersonView;

  before(async () => {
    original = await buildCourse('Internship I');
    // Last term: one approved entry in the original course.
    await open(original.faculty, original.placed);
    await submitAndApproveFromCourseNav(original, original.placed.custom.activity_id);
    const copy = await copySandboxCourse(original.id, { withTeachers: true });
    copyCourseId = copy.id;
    copyPlacement = (await listSandboxPlacements(copy.id)).find((p) => p.title === original.placed.title)!;
    expect(copyPlacement.custom.activity_id, 'course copy keeps the custom parameters').to.equal(original.placed.custom.activity_id);
    expect(copyPlacement.resourceLinkId).not.to.equal(original.placed.resourceLinkId);
    copyFaculty = (await listSandboxPeople(copy.id)).find((p) => p.sub === original.faculty.sub)!;
    copyCandidate = await addSandboxPerson(copy.id, { name: 'Next Term Candidate', roles: 'candidate' });
  });

  it('a candidate who comes first sees “not set up yet”; nothing of the original is shown or created', async () => {
    const res = await launchAs(testServer().baseUrl, { personId: copyCandidate.id, placementId: copyPlacement.id });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('data-testid="not-set-up"');
    expect(res.text).not.to.include('data-testid="practicum-panel"');
    const candidate: Session = { agent: res.agent, ltik: res.ltik!, text: res.text };
    const attempt = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' });
    expect(attempt.status).to.equal(409);
    expect(await PracticumEntryModel.countDocuments({ candidateSub: copyCandidate.sub })).to.equal(0);
    expect(await ActivityModel.countDocuments({ copiedFrom: original.placed.custom.activity_id })).to.equal(0);
  });

  it('faculty see the original’s settings, set the activity up for their course, and get an empty activity of their own', async () => {
    const first = await launchAs(testServer().baseUrl, { personId: copyFaculty.id, placementId: copyPlacement.id });
    expect(first.status).to.equal(200);
    const page = decodeHtml(first.text);
    expect(page).to.include('Set up “');
    expect(page).to.include('Required hours');
    expect(page).not.to.include(original.candidate.name);
    const faculty: Session = { agent: first.agent, ltik: first.ltik!, text: first.text };
    const confirmed = await post(faculty, '/lti/activity/copy', {});
    expect(confirmed.status).to.equal(303);
    const copy = await ActivityModel.findOne({ copiedFrom: original.placed.custom.activity_id, contextId: copyCourseId }).lean();
    const source = await ActivityModel.findById(original.placed.custom.activity_id).lean();
    expect(copy).to.include({ type: 'practicum-log', title: source!.title, pointsPossible: source!.pointsPossible });
    expect(copy!.settings).to.deep.equal(source!.settings);
    // Setting it up twice (another tab) makes no second copy.
    await post(faculty, '/lti/activity/copy', {});
    expect(await ActivityModel.countDocuments({ copiedFrom: original.placed.custom.activity_id })).to.equal(1);

    const again = await open(copyFaculty, copyPlacement);
    expect(again.text).to.match(/data-testid="practicum-panel" data-view="faculty"/);
    expect(decodeHtml(again.text)).not.to.include(original.candidate.name);
    expect(again.text).not.to.include('data-testid="grade-sync"');
  });

  it('candidates of the copy work in the copy, and its grades go to the copied course’s column only', async () => {
    const copy = (await ActivityModel.findOne({ copiedFrom: original.placed.custom.activity_id }).lean())!;
    const candidate = await open(copyCandidate, copyPlacement);
    expect(candidate.text).to.match(/data-testid="practicum-panel" data-view="candidate"/);
    expect((await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' })).status).to.equal(200);
    const entry = (await PracticumEntryModel.findOne({ candidateSub: copyCandidate.sub }).lean())!;
    expect(String(entry.activityId)).to.equal(String(copy._id));
    const faculty = await open(copyFaculty, copyPlacement);
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: [`${String(entry._id)}:${entry.version}`] })).status).to.equal(200);
    await runGradeSenderOnce();
    expect(await getSandboxGrade(copyPlacement.lineItemId!, copyCandidate.sub)).to.include({ scoreGiven: 10 });
    expect(await getSandboxGrade(original.placed.lineItemId!, copyCandidate.sub)).to.equal(null);
    // The original course's records are untouched: one entry, its own grade.
    expect(await PracticumEntryModel.countDocuments({ activityId: original.placed.custom.activity_id })).to.equal(1);
    expect(await GradeOutboxModel.countDocuments({ activityId: original.placed.custom.activity_id })).to.equal(1);
  });
});
