import { expect } from 'chai';
import { z } from 'zod';
import { ActivityModel } from '../../src/activities/activity.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { createSandboxPlacement, getSandboxScores, type SandboxPlacementView } from '../../src/sandbox';
import { formNumber, optionalFormNumber, parseForm, typedList, typedText } from '../../src/platform/validate';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml, deepLinkAs, parseForm as parseHtmlForm, type Agent } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, open, type PracticumCourse, type Session } from '../practicum/practicum-kit';

/** `{"toString": 1}`: String() and Number() on it throw ("Cannot convert object to primitive value"). */
const UNCALLABLE = { toString: 1 };
const NO_PRIMITIVE = { valueOf: null, toString: null };

function postJson(agent: Agent, path: string, body: Record<string, unknown>) {
  return agent.post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));
}

describe('hostile values in fields: a field error (400), never a 500', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let a: Session;
  let graded: SandboxPlacementView;
  let gradingFaculty: Session;
  before(async () => {
    course = await buildPracticumCourse('Hostile fields');
    graded = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Graded by hand ${course.id}`, points: 10, settings: { gradingMode: 'faculty-score' } });
    [a, gradingFaculty] = await Promise.all([open(course.candidateA, course.placement), open(course.faculty, graded)]);
  });
  const entryCount = () => PracticumEntryModel.countDocuments({ activityId: course.activityId });

  it('number and text helpers never call Number() or String() on an object', () => {
    const points = formNumber({ required: 'Enter the points.', invalid: 'Enter a number.' });
    expect(parseForm(z.object({ p: points }), { p: UNCALLABLE })).to.deep.equal({ ok: false, errors: { p: 'Enter a number.' } });
    expect(parseForm(z.object({ p: points }), { p: NO_PRIMITIVE })).to.deep.equal({ ok: false, errors: { p: 'Enter a number.' } });
    for (const wrong of [[7], true, '0x10', '1e999', 'NaN', 'Infinity']) {
      expect(parseForm(z.object({ p: points }), { p: wrong }).ok, JSON.stringify(wrong)).to.equal(false);
    }
    expect(parseForm(z.object({ p: points }), { p: ' 2.5 ' })).to.deep.equal({ ok: true, value: { p: 2.5 } });
    expect(parseForm(z.object({ p: points }), { p: '' })).to.deep.equal({ ok: false, errors: { p: 'Enter the points.' } });
    const hours = optionalFormNumber('Hours must be a number.', (n) => n.max(24));
    expect(parseForm(z.object({ h: hours }), { h: '' })).to.deep.equal({ ok: true, value: { h: undefined } });
    expect(parseForm(z.object({ h: hours }), { h: UNCALLABLE })).to.deep.equal({ ok: false, errors: { h: 'Hours must be a number.' } });
    expect(typedText(UNCALLABLE)).to.equal('');
    expect(typedText(3)).to.equal('3');
    expect(typedList(['4', UNCALLABLE, ['6.1']])).to.deep.equal(['4']);
  });

  it('practicum entry form (JSON): hours and text fields holding objects are field errors, and the form re-renders', async () => {
    const before = await entryCount();
    const hours = await postJson(a.agent, '/lti/practicum/entries', { ltik: a.ltik, hours: UNCALLABLE, description: 'Kept text' });
    expect(hours.status, hours.text).to.equal(400);
    expect(decodeHtml(hours.text)).to.include('Hours must be a number').and.to.include('Kept text');
    const text = await postJson(a.agent, '/lti/practicum/entries', { ltik: a.ltik, description: UNCALLABLE, populations: [UNCALLABLE], standards: NO_PRIMITIVE });
    expect(text.status, text.text).to.equal(400);
    expect(await entryCount()).to.equal(before);
  });

  it('autosave: objects, arrays, booleans and hex strings in number fields are field errors (JSON 400); nothing saved', async () => {
    const before = await entryCount();
    for (const [field, value] of [['hours', UNCALLABLE], ['version', NO_PRIMITIVE], ['hours', ['2']], ['hours', true], ['hours', '0x2']] as const) {
      const res = await postJson(a.agent, '/lti/practicum/entries/autosave', { ltik: a.ltik, [field]: value, description: 'typed' });
      expect(res.status, `${field}=${JSON.stringify(value)}: ${res.text}`).to.equal(400);
      expect(res.body.error).to.equal('invalid_form');
      expect(res.body.details).to.have.property(field);
    }
    expect(await entryCount()).to.equal(before);
  });

  it('faculty score (JSON): a score and comment without a primitive value re-render the grading form (400); nothing is sent', async () => {
    const res = await postJson(gradingFaculty.agent, '/lti/scores', { ltik: gradingFaculty.ltik, userId: course.candidateA.sub, scoreGiven: NO_PRIMITIVE, comment: UNCALLABLE });
    expect(res.status, res.text).to.equal(400);
    expect(decodeHtml(res.text)).to.include('Enter a number of points');
    const hex = await postJson(gradingFaculty.agent, '/lti/scores', { ltik: gradingFaculty.ltik, userId: course.candidateA.sub, scoreGiven: '0x5' });
    expect(hex.status, 'Number("0x5") is 5, but nobody types hex points').to.equal(400);
    expect(await getSandboxScores(graded.lineItemId!)).to.deep.equal([]);
  });

  it('deep linking (JSON): a title, points and practicum settings holding objects re-render the picker (400); no activity is made', async () => {
    const placementId = (await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add hostile' })).id;
    const picker = await deepLinkAs(testServer().baseUrl, { personId: course.faculty.id, placementId });
    const { ltik, formToken } = parseHtmlForm(picker.text, 'formToken').fields;
    const before = await ActivityModel.countDocuments({ createdBy: course.faculty.sub });
    const res = await postJson(picker.agent, '/lti/deep-link/submit', {
      ltik,
      formToken,
      activityType: 'practicum-log',
      title: UNCALLABLE,
      pointsPossible: NO_PRIMITIVE,
      requiredHours: UNCALLABLE,
      minDistinctSites: [3],
      gradeBands: [UNCALLABLE],
      termStart: NO_PRIMITIVE,
    });
    expect(res.status, res.text).to.equal(400);
    const page = decodeHtml(res.text);
    expect(page).to.include('Add a Fieldbook activity').and.to.include('Points must be a number');
    expect(await ActivityModel.countDocuments({ createdBy: course.faculty.sub })).to.equal(before);
  });
});
