import { expect } from 'chai';
import { ActivityModel, type Activity } from '../../src/activities/activity.model';
import { presentCourseHome, type CourseHomeItem } from '../../src/activities/course-home';
import type { Caller } from '../../src/lti/caller';
import type { FieldbookRole } from '../../src/lti/roles';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { practicumKind } from '../../src/practicum/practicum.kind';
import { addSandboxPerson, type SandboxPersonView } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { renderPartial } from '../helpers/render-partial';
import { decodeHtml } from '../helpers/sandbox-launch';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

/** A practicum that needs no mentor and 2 hours, so one approved entry completes it. */
const QUICK = { rulePackId: 'custom', requiredHours: '2' };

/**
 * The caller a course-navigation launch of `person` makes, on the platform and course the Sandbox
 * launches carried (read from the activity they created).
 */
function callerOf(activity: Activity, person: SandboxPersonView, roles: FieldbookRole[], menteeSubs: string[] = []): Caller {
  return {
    iss: activity.iss,
    clientId: activity.clientId,
    deploymentId: activity.deploymentId,
    sub: person.sub,
    name: person.name,
    email: '',
    role: roles[0],
    roles,
    isTestUser: false,
    menteeSubs,
    contextId: activity.contextId,
    contextTitle: activity.contextTitle ?? '',
    resourceLinkId: null,
    resourceTitle: '',
    messageType: 'LtiResourceLinkRequest',
    custom: {},
    platformName: 'Sandbox',
  };
}

/** The course home as a caller sees it: the items and the partial the launch renders them with. */
async function homeOf(caller: Caller) {
  const items = await presentCourseHome(caller);
  const html = decodeHtml(renderPartial('activities/course-home', { ltik: 'ltik', hasContext: true, activities: items }));
  return { items, html, byId: (id: string) => items.find((i) => i.id === id) as CourseHomeItem };
}

/** The rendered list item of one activity. */
function itemHtml(html: string, activityId: string): string {
  const start = html.indexOf(`data-activity="${activityId}"`);
  expect(start, 'the course home lists the activity').to.be.greaterThan(-1);
  return html.slice(start, html.indexOf('</li>', start));
}

describe('course home: progress per activity from each kind’s progress hook', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let activity: Activity;
  let secondId: string;

  before(async () => {
    course = await buildPracticumCourse('Progress home', QUICK);
    const second = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Second log ${course.id.slice(-6)}`, points: 10 });
    secondId = second.custom.activity_id;
    const a = await open(course.candidateA, course.placement);
    expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' })).status).to.equal(200);
    // The faculty launch also reads the roster, so candidate B (who never launched) is a member.
    const faculty = await open(course.faculty, course.placement);
    const entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    const approved = await post(faculty, '/lti/practicum/entries/approve', { entries: [`${String(entry._id)}:${entry.version}`] });
    expect(approved.status, approved.text).to.equal(200);
    activity = (await ActivityModel.findById(course.activityId).lean()) as Activity;
  });

  it('the practicum kind answers for every candidate asked, from their progress document', async () => {
    const progress = await practicumKind.progress!(activity, [course.candidateA.sub, course.candidateB.sub, 'never-enrolled']);
    expect([...progress.keys()]).to.deep.equal([course.candidateA.sub, course.candidateB.sub, 'never-enrolled']);
    expect(progress.get(course.candidateA.sub)).to.deep.equal({ label: 'Complete', percent: 100, isComplete: true, summary: '2.5 of 2 hours counted.' });
    expect(progress.get(course.candidateB.sub)).to.deep.equal({ label: 'Not started', percent: 0, isComplete: false, summary: '0 of 2 hours counted.' });
  });

  it('faculty and coordinators see per activity how many of the course’s candidates are complete', async () => {
    const { html, byId } = await homeOf(callerOf(activity, course.faculty, ['faculty']));
    expect(byId(course.activityId).progress).to.deep.equal({ own: null, group: '1 of 2 candidates complete' });
    expect(itemHtml(html, course.activityId)).to.include('data-testid="group-progress">1 of 2 candidates complete<');
    expect(itemHtml(html, secondId)).to.include('data-testid="group-progress">0 of 2 candidates complete<');
    for (const id of [course.activityId, secondId]) expect(itemHtml(html, id)).not.to.include('role="progressbar"');
    const coordinator = await addSandboxPerson(course.id, { name: 'Cody Coordinator', roles: 'coordinator' });
    expect((await homeOf(callerOf(activity, coordinator, ['coordinator']))).byId(course.activityId).progress?.group).to.equal('1 of 2 candidates complete');
  });

  it('a candidate sees their own progress in each activity as a bar with its text, and nobody else’s', async () => {
    const { html } = await homeOf(callerOf(activity, course.candidateA, ['candidate']));
    const first = itemHtml(html, course.activityId);
    expect(first).to.include('Your progress: <strong>Complete</strong> — 2.5 of 2 hours counted.');
    expect(first).to.match(/role="progressbar" aria-labelledby="activity-[a-f0-9]+-title activity-[a-f0-9]+-progress" aria-valuenow="100" aria-valuemin="0" aria-valuemax="100" aria-valuetext="100%, Complete"/);
    expect(first).to.include(`id="activity-${course.activityId}-title"`).and.to.include(`id="activity-${course.activityId}-progress"`);
    expect(first).not.to.include('candidates complete');
    const second = itemHtml(html, secondId);
    expect(second).to.include('Your progress: <strong>Not started</strong> — 0 of');
    expect(second).to.include('aria-valuenow="0"');
    const other = await homeOf(callerOf(activity, course.candidateB, ['candidate']));
    expect(itemHtml(other.html, course.activityId)).to.include('<strong>Not started</strong>');
  });

  it('an LMS mentor sees how their mentees (from the launch’s claims) stand', async () => {
    const { byId } = await homeOf(callerOf(activity, course.mentorOfA, ['mentor'], [course.candidateA.sub]));
    expect(byId(course.activityId).progress).to.deep.equal({ own: null, group: 'Your mentee: Complete' });
    const two = await homeOf(callerOf(activity, course.mentorOfA, ['mentor'], [course.candidateA.sub, course.candidateB.sub]));
    expect(two.byId(course.activityId).progress?.group).to.equal('1 of your 2 mentees complete');
    const none = await homeOf(callerOf(activity, course.mentorOfA, ['mentor'], []));
    expect(none.byId(course.activityId).progress).to.equal(null);
  });
});
