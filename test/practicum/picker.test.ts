import { expect } from 'chai';
import { ActivityModel } from '../../src/activities/activity.model';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement } from '../../src/sandbox';
import { deepLinkAs, submitPicker } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

describe('deep-linking picker: practicum settings', () => {
  async function picker() {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 692 ${suffix}`, label: `EDL692-${suffix}` });
    const faculty = await addSandboxPerson(course.id, { name: `Fac ${suffix}`, roles: 'faculty' });
    const placement = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
    const res = await deepLinkAs(testServer().baseUrl, { personId: faculty.id, placementId: placement.id });
    return { res, submit: (fields: Record<string, string | string[]>) => submitPicker(res.agent, res.text, fields) };
  }

  it('offers the rule packs and stores the typed settings on the activity; the line item is still sent', async () => {
    const { res, submit } = await picker();
    expect(res.text).to.include('name="rulePackId"');
    expect(res.text).to.include('Virginia');
    expect(res.text, 'partial credit is shown unless faculty choose otherwise').to.match(/name="partialCredit" id="partial-show" value="show" checked/);
    const title = `Texas practicum ${Math.random().toString(36).slice(2, 6)}`;
    const submitted = await submit({ activityType: 'practicum-log', title, pointsPossible: '20', rulePackId: 'texas', requiredHours: '180', termStart: '2026-08-20', termEnd: '2027-05-20', gradingMode: 'completion', partialCredit: 'hide', populations: ['special-education'] });
    expect(submitted.status, submitted.text).to.equal(200);
    expect(submitted.text).to.include('name="JWT"');
    const activity = await ActivityModel.findOne({ title }).lean();
    expect(activity?.settings).to.include({ rulePackId: 'texas', requiredHours: 180, termStart: '2026-08-20', termEnd: '2027-05-20', frameworkId: 'PSEL-2015', partialCredit: 'hide' });
    expect(activity?.settings.requiredSettings.populations).to.deep.equal(['special-education']);
  });

  it('a failed form keeps every field typed, including the practicum settings (400), and creates nothing', async () => {
    const { submit } = await picker();
    const title = `Kept practicum ${Math.random().toString(36).slice(2, 6)}`;
    const failed = await submit({ activityType: 'practicum-log', title, pointsPossible: '20', rulePackId: 'virginia', requiredHours: 'many', 'min_observation-feedback': '12', termStart: '2027-01-01', gradeBands: ['middle', 'high'], partialCredit: 'hide' });
    expect(failed.status).to.equal(400);
    expect(failed.text).to.include('Required hours must be a number.');
    expect(failed.text).to.include(`value="${title}"`);
    expect(failed.text).to.include('value="many"');
    expect(failed.text).to.match(/id="termStart" name="termStart" [^>]*value="2027-01-01"/);
    expect(failed.text).to.match(/<option value="virginia" selected>/);
    expect(failed.text).to.match(/id="min_observation-feedback" name="min_observation-feedback" [^>]*value="12"/);
    expect(failed.text).to.match(/id="band-middle" value="middle" checked/);
    expect(failed.text).to.match(/id="partial-hide" value="hide" checked/);
    expect(await ActivityModel.countDocuments({ title })).to.equal(0);
  });

  it('offers only the kinds that are built, and refuses a kind that is not (400, nothing created)', async () => {
    const { res, submit } = await picker();
    expect(res.text).to.include('value="practicum-log"');
    for (const unbuilt of ['mentorship-check-ins', 'leadership-portfolio', 'peer-network']) expect(res.text).not.to.include(`value="${unbuilt}"`);
    const title = `Portfolio ${Math.random().toString(36).slice(2, 6)}`;
    const submitted = await submit({ activityType: 'leadership-portfolio', title, pointsPossible: '10' });
    expect(submitted.status).to.equal(400);
    expect(submitted.text).to.include('Choose an activity type.');
    expect(submitted.text).to.include(`value="${title}"`);
    expect(await ActivityModel.countDocuments({ title })).to.equal(0);
  });
});
