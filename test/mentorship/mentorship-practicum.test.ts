import { expect } from 'chai';
import { CheckInModel } from '../../src/mentorship/checkin.model';
import { reconcileMentorshipGrades } from '../../src/mentorship/mentorship-grade';
import { todayIso } from '../../src/mentorship/mentorship.page';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { placeActivity } from '../helpers/activity-kit';
import { open, post } from '../practicum/practicum-kit';
import { buildMentorshipCourse, checkInsOf, formTokenOf, recordHeld } from './mentorship-kit';

describe('mentorship check-ins count toward the course’s practicum log', () => {
  it('a signed-off check-in becomes one draft “mentoring” entry of its length, however often it is offered', async () => {
    const course = await buildMentorshipCourse({ ci_countTowardPracticum: 'yes' });
    const practicum = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Internship hours ${course.id.slice(-5)}`, points: 50 });
    const practicumId = practicum.custom.activity_id;
    const a = await open(course.candidateA, course.placement);
    expect((await recordHeld(a, { formToken: formTokenOf(a.text) })).status).to.equal(200);
    const [held] = await checkInsOf(course, course.candidateA.sub);
    expect(await PracticumEntryModel.countDocuments({ activityId: practicumId }), 'not before the sign-off').to.equal(0);
    const mentor = await open(course.mentorOfA, course.placement);
    expect((await post(mentor, '/lti/mentorship/review', { checkIns: `${String(held._id)}:${held.version}`, intent: 'sign-off' })).status).to.equal(200);
    const entries = await PracticumEntryModel.find({ activityId: practicumId, candidateSub: course.candidateA.sub }).lean();
    expect(entries).to.have.length(1);
    expect(entries[0]).to.include({ status: 'draft', minutes: 45, category: 'mentoring', date: held.date });
    expect(entries[0].description).to.match(/^Mentor check-in \(video call\): Goals for the term — from /);
    expect((await CheckInModel.findById(held._id).lean())?.hoursOffered).to.equal(true);
    // A lost flag write: reconciliation offers again, and the practicum keeps one entry.
    await CheckInModel.updateOne({ _id: held._id }, { $set: { hoursOffered: false } });
    await reconcileMentorshipGrades(todayIso());
    expect(await PracticumEntryModel.countDocuments({ activityId: practicumId, candidateSub: course.candidateA.sub })).to.equal(1);
    expect((await CheckInModel.findById(held._id).lean())?.hoursOffered).to.equal(true);
  });
});
