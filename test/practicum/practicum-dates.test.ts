import { expect } from 'chai';
import { ActivityModel } from '../../src/activities/activity.model';
import { createSandboxPlacement } from '../../src/sandbox';
import { calendarDate, isCalendarDate, parseForm, yearsFromToday } from '../../src/platform/validate';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { missingForSubmit } from '../../src/practicum/practicum.schemas';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml, deepLinkAs, submitPicker } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse, type Session } from './practicum-kit';
import { z } from 'zod';

const isoIn = (years: number) => yearsFromToday(years)();
const dayAfter = (iso: string) => new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

describe('practicum dates: real calendar days in a sane range; entries inside the term', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let a: Session;
  before(async () => {
    course = await buildPracticumCourse('Dated hours');
    a = await open(course.candidateA, course.placement);
  });
  const autosave = (date: string) => a.agent.post('/lti/practicum/entries/autosave').set('Accept', 'application/json').send({ ltik: a.ltik, date, description: 'dated draft' });

  it('isCalendarDate / calendarDate: no February 30th, no year 0, no month 13; leap days only in leap years; bounds inclusive', () => {
    for (const bad of ['2026-02-30', '2026-02-29', '1900-02-29', '0000-01-01', '2026-13-01', '2026-00-10', '2026-04-31', '2026-4-1', '20260401']) {
      expect(isCalendarDate(bad), bad).to.equal(false);
    }
    for (const good of ['2024-02-29', '2000-02-29', '2026-12-31', '1990-01-01']) expect(isCalendarDate(good), good).to.equal(true);
    const schema = z.object({ d: calendarDate({ min: '1990-01-01', max: '2027-12-31' }) });
    expect(parseForm(schema, { d: '1990-01-01' }).ok).to.equal(true);
    expect(parseForm(schema, { d: '2027-12-31' }).ok).to.equal(true);
    expect(parseForm(schema, { d: '1989-12-31' })).to.deep.equal({ ok: false, errors: { d: 'The date must be between January 1, 1990 and December 31, 2027.' } });
    expect(parseForm(schema, { d: '2026-02-30' })).to.deep.equal({ ok: false, errors: { d: 'Use a real date: that day does not exist.' } });
    expect(parseForm(schema, { d: { toString: 1 } })).to.deep.equal({ ok: false, errors: { d: 'Use a date (YYYY-MM-DD).' } });
  });

  it('an entry dated 2026-02-30, 0000-01-01, 1901, before 1990 or more than a year ahead is a field error (400); nothing saved', async () => {
    const before = await PracticumEntryModel.countDocuments({ activityId: course.activityId });
    for (const date of ['2026-02-30', '0000-01-01', '1901-09-15', '1989-12-31', dayAfter(isoIn(1)), '9999-12-31']) {
      const res = await autosave(date);
      expect(res.status, `${date}: ${res.text}`).to.equal(400);
      expect(res.body.details.date, date).to.match(/real date|^The date must be between January 1, 1990 and [A-Z][a-z]+ \d{1,2}, \d{4}\.$/);
    }
    const old = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '1901-09-15', intent: 'draft' });
    expect(old.status, 'a 1901 date is refused even on a draft').to.equal(400);
    expect(decodeHtml(old.text)).to.match(/The date must be between January 1, 1990 and [A-Z][a-z]+ \d{1,2}, \d{4}\./);
    const form = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '0000-01-01', intent: 'submit' });
    expect(form.status).to.equal(400);
    expect(decodeHtml(form.text)).to.include('Use a real date');
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId })).to.equal(before);
    const leap = await autosave('2024-02-29');
    expect(leap.status, leap.text).to.equal(200);
    const planned = await autosave(isoIn(1));
    expect(planned.status, 'a draft may be planned up to a year ahead').to.equal(200);
  });

  it('term dates in the picker must be real days in range (400 with the picker kept)', async () => {
    const placementId = (await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add dated' })).id;
    const picker = await deepLinkAs(testServer().baseUrl, { personId: course.faculty.id, placementId });
    const before = await ActivityModel.countDocuments({ createdBy: course.faculty.sub });
    for (const [termStart, termEnd] of [['2026-02-30', '2026-05-31'], ['0000-01-01', '2026-05-31'], ['2026-09-01', dayAfter(isoIn(2))]]) {
      const res = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title: 'Dated', pointsPossible: '10', termStart, termEnd });
      expect(res.status, `${termStart}..${termEnd}`).to.equal(400);
      expect(decodeHtml(res.text)).to.match(/real date|The date must be between January 1, 1990 and/);
    }
    expect(await ActivityModel.countDocuments({ createdBy: course.faculty.sub })).to.equal(before);
  });

  it('submitting a new entry dated outside the term is a field error naming the term (400); inside it is submitted', async () => {
    const termed = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Termed ${course.id}`, points: 10, settings: { termStart: '2026-09-01', termEnd: '2026-11-30' } });
    const candidate = await open(course.candidateA, termed);
    const activityId = termed.custom.activity_id;
    const outside = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-08-15', intent: 'submit' });
    expect(outside.status, outside.text).to.equal(400);
    expect(decodeHtml(outside.text)).to.include('The date must be between September 1, 2026 and November 30, 2026, the term of this activity.');
    expect(await PracticumEntryModel.countDocuments({ activityId })).to.equal(0);
    const inside = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-05', intent: 'submit' });
    expect(inside.status, inside.text).to.equal(200);
    expect(await PracticumEntryModel.countDocuments({ activityId, status: 'submitted' })).to.equal(1);
  });

  it('missingForSubmit names the term for a date outside it in plain words, open ends included', () => {
    const entry = { date: '2026-08-15', minutes: 60, site: { name: 'Lincoln', gradeBand: 'elementary' }, category: 'observation-feedback', standards: ['4'], description: 'Long enough text' };
    expect(missingForSubmit(entry, '2026-12-02')).to.deep.equal({});
    expect(missingForSubmit(entry, '2026-12-02', { start: '2026-09-01', end: null })).to.deep.equal({ date: 'The date must be on or after September 1, 2026, when the term of this activity starts.' });
    expect(missingForSubmit(entry, '2026-12-02', { start: null, end: '2026-08-01' })).to.deep.equal({ date: 'The date must be on or before August 1, 2026, when the term of this activity ends.' });
    expect(missingForSubmit(entry, '2026-12-02', { start: null, end: null })).to.deep.equal({});
  });
});
