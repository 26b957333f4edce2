import { expect } from 'chai';
import { CheckInModel } from '../../src/mentorship/checkin.model';
import { MentorshipAuditModel } from '../../src/mentorship/checkin-audit.model';
import { get, open, post } from '../practicum/practicum-kit';
import { buildMentorshipCourse, checkInsOf, formTokenOf, HELD } from './mentorship-kit';

describe('mentorship check-ins: autosaved drafts', () => {
  it('keeps what is typed as the candidate’s own draft, then records it as held — one check-in throughout', async () => {
    const course = await buildMentorshipCourse();
    const a = await open(course.candidateA, course.placement);
    const formToken = formTokenOf(a.text);
    const autosave = (body: Record<string, unknown>) => a.agent.post('/lti/mentorship/checkins/autosave').set('Accept', 'application/json').send({ ltik: a.ltik, ...body });
    const first = await autosave({ formToken, agenda: 'Half-written agenda', date: '' });
    expect(first.status, first.text).to.equal(200);
    expect(first.body).to.include.keys('id', 'version', 'savedAt');
    const again = await autosave({ formToken, checkInId: first.body.id, version: String(first.body.version), agenda: 'Half-written agenda, more' });
    expect(again.status, again.text).to.equal(200);
    expect(again.body.id).to.equal(first.body.id);
    const [draft] = await checkInsOf(course, course.candidateA.sub);
    expect(draft).to.include({ status: 'draft', agenda: 'Half-written agenda, more', date: '' });
    expect(await MentorshipAuditModel.countDocuments({ recordId: first.body.id }), 'draft saves are not audited').to.equal(0);
    // Nobody else sees a draft.
    const [mentor, faculty] = await Promise.all([open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
    expect(mentor.text).not.to.include(first.body.id);
    expect(faculty.text).not.to.include(first.body.id);
    // Only JSON, and only drafts.
    expect((await a.agent.post('/lti/mentorship/checkins/autosave').type('form').send({ ltik: a.ltik, agenda: 'x' })).status).to.equal(400);
    // The form's own post (its autosave gave it the id) records the draft as held.
    const held = await post(a, '/lti/mentorship/checkins', { ...HELD, formToken, checkInId: first.body.id, version: String(again.body.version) });
    expect(held.status, held.text).to.equal(200);
    const all = await checkInsOf(course, course.candidateA.sub);
    expect(all).to.have.length(1);
    expect(all[0]).to.include({ status: 'held', agenda: HELD.agenda });
    expect((await autosave({ checkInId: first.body.id, version: String(all[0].version), agenda: 'late' })).status).to.equal(409);
    expect((await CheckInModel.findById(first.body.id).lean())?.agenda).to.equal(HELD.agenda);
    // A form posted without the id its autosave made (the script's update lost) completes the same draft.
    const token2 = formTokenOf((await get(a, '/lti/mentorship')).text);
    const d2 = await autosave({ formToken: token2, agenda: 'Second draft' });
    expect(d2.status).to.equal(200);
    const planned = await post(a, '/lti/mentorship/checkins', { ...HELD, intent: 'plan', date: HELD.item_0_due, item_0_due: '', formToken: token2 });
    expect(planned.status, planned.text).to.equal(200);
    expect((await CheckInModel.findById(d2.body.id).lean())?.status).to.equal('planned');
    expect(await checkInsOf(course, course.candidateA.sub)).to.have.length(2);
  });
});
