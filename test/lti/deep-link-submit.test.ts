import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { Types } from 'mongoose';
import { ActivityKeyModel, ActivityModel, placementKey } from '../../src/activities/activity.model';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement } from '../../src/sandbox';
import { decodeHtml, deepLinkAs, parseForm, returnDeepLink, submitPicker, type DeepLinkLaunchResult } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const CONTENT_ITEMS = 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items';

/** A course, its faculty and a deep-linking launch: the tool's picker page. */
async function openPicker(): Promise<DeepLinkLaunchResult & { suffix: string }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 640 ${suffix}`, label: `EDL640-${suffix}` });
  const faculty = await addSandboxPerson(course.id, { name: `Dr. Idem ${suffix}`, roles: 'faculty' });
  const placement = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
  const picker = await deepLinkAs(testServer().baseUrl, { personId: faculty.id, placementId: placement.id });
  expect(picker.status, picker.text).to.equal(200);
  return { ...picker, suffix };
}

/** The activity id the signed deep-linking response (the auto-posting form) names. */
function placedActivityId(responseHtml: string): string {
  const items = decodeJwt(parseForm(responseHtml, 'JWT').fields.JWT)[CONTENT_ITEMS] as Array<{ custom?: { activity_id?: string } }>;
  expect(items).to.have.lengthOf(1);
  return String(items[0].custom?.activity_id);
}

describe('deep-linking "Add to course": one activity per picker form', () => {
  it('the same picker form posted twice places one activity, and both answers name it', async () => {
    const picker = await openPicker();
    const title = `Twice ${picker.suffix}`;
    const fields = { activityType: 'practicum-log', title, pointsPossible: '20' };
    const first = await submitPicker(picker.agent, picker.text, fields);
    expect(first.status, first.text).to.equal(200);
    const again = await submitPicker(picker.agent, picker.text, fields);
    expect(again.status, again.text).to.equal(200);

    const stored = await ActivityModel.find({ title }).lean();
    expect(stored).to.have.lengthOf(1);
    expect(placedActivityId(first.text)).to.equal(String(stored[0]._id));
    expect(placedActivityId(again.text), 'the repeat answers with the same activity').to.equal(String(stored[0]._id));
    expect((await returnDeepLink(testServer().baseUrl, picker.agent, again.text)).status, 'the repeated answer is a valid response for the LMS').to.equal(200);
  });

  it('a double click (two posts at once) places one activity', async () => {
    const picker = await openPicker();
    const title = `Double click ${picker.suffix}`;
    const fields = { activityType: 'practicum-log', title, pointsPossible: '10' };
    const answers = await Promise.all([submitPicker(picker.agent, picker.text, fields), submitPicker(picker.agent, picker.text, fields)]);
    for (const answer of answers) expect(answer.status, answer.text).to.equal(200);
    const stored = await ActivityModel.find({ title }).lean();
    expect(stored).to.have.lengthOf(1);
    expect(answers.map((a) => placedActivityId(a.text))).to.deep.equal([String(stored[0]._id), String(stored[0]._id)]);
  });

  it('a repeat with other fields answers with what the first post placed (title and points as stored)', async () => {
    const picker = await openPicker();
    const title = `First title ${picker.suffix}`;
    const first = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title, pointsPossible: '20' });
    expect(first.status, first.text).to.equal(200);
    const changed = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title: `Changed ${picker.suffix}`, pointsPossible: '5' });
    expect(changed.status, changed.text).to.equal(200);
    expect(await ActivityModel.countDocuments({ title: `Changed ${picker.suffix}` })).to.equal(0);
    const items = decodeJwt(parseForm(changed.text, 'JWT').fields.JWT)[CONTENT_ITEMS] as Array<{ title: string; lineItem: { scoreMaximum: number } }>;
    expect(items[0].title).to.equal(title);
    expect(items[0].lineItem.scoreMaximum).to.equal(20);
  });

  it('a post without a form token, or with a malformed one, is a 400 that keeps the fields and places nothing; the fresh token then works', async () => {
    const picker = await openPicker();
    const title = `Tokenless ${picker.suffix}`;
    const { ltik } = parseForm(picker.text, 'ltik').fields;
    const fields = { ltik, activityType: 'practicum-log', title, pointsPossible: '15' };
    const missing = await picker.agent.post('/lti/deep-link/submit').type('form').send(fields);
    expect(missing.status).to.equal(400);
    expect(decodeHtml(missing.text)).to.include('missing its one-time token').and.to.include('nothing was added');
    expect(missing.text).to.include(`value="${title}"`);
    for (const formToken of ['short', 'x'.repeat(65), 'has spaces in it, sixteen+', '{"$gt":""}']) {
      const malformed = await picker.agent.post('/lti/deep-link/submit').type('form').send({ ...fields, formToken });
      expect(malformed.status, formToken).to.equal(400);
      expect(decodeHtml(malformed.text)).to.include('missing its one-time token');
    }
    expect(await ActivityModel.countDocuments({ title })).to.equal(0);

    const retried = await submitPicker(picker.agent, missing.text, { activityType: 'practicum-log', title, pointsPossible: '15' });
    expect(retried.status, retried.text).to.equal(200);
    expect(await ActivityModel.countDocuments({ title })).to.equal(1);
  });

  it('a post cut off after reserving its token (no activity yet) is completed when sent again, under the reserved id', async () => {
    const picker = await openPicker();
    const title = `Cut off ${picker.suffix}`;
    const { formToken } = parseForm(picker.text, 'formToken').fields;
    const claims = picker.idTokenClaims as Record<string, unknown>;
    const contextId = (claims[`${LTI}context`] as { id?: string } | undefined)?.id ?? null;
    const clientId = Array.isArray(claims.aud) ? String(claims.aud[0]) : String(claims.aud);
    // What the first post wrote before it stopped: the reservation, naming the activity to be created.
    const reservedId = String(new Types.ObjectId());
    await ActivityKeyModel.create({ _id: placementKey(String(claims.iss), clientId, contextId, String(claims.sub), formToken), activityId: reservedId, createdAt: new Date() });

    const resent = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title, pointsPossible: '20' });
    expect(resent.status, resent.text).to.equal(200);
    expect(placedActivityId(resent.text)).to.equal(reservedId);
    const stored = await ActivityModel.find({ title }).lean();
    expect(stored.map((a) => String(a._id))).to.deep.equal([reservedId]);

    const again = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title, pointsPossible: '20' });
    expect(placedActivityId(again.text)).to.equal(reservedId);
    expect(await ActivityModel.countDocuments({ title })).to.equal(1);
  });
});
