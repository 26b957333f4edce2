import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { cleanInput, MAX_INPUT_DEPTH } from '../../src/platform/input-hygiene';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, buildPracticumCourse, get, open, type PracticumCourse, type Session } from '../practicum/practicum-kit';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : [nested(depth - 1)]);

describe('transport limits and control characters, before any route', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let a: Session;
  before(async () => {
    course = await buildPracticumCourse('Hygiene');
    a = await open(course.candidateA, course.placement);
  });
  const entryCount = () => PracticumEntryModel.countDocuments({ activityId: course.activityId });

  it('cleanInput: strips control characters (keeping tab, newline, carriage return), refuses nesting past the limit and control characters in names', () => {
    const body = JSON.parse('{"a":"x\\u0000y\\u0007z\\t\\n\\r\\u007f\\u0085","list":["\\u000bq"],"__proto__":"p\\u0000"}');
    const cleaned = cleanInput(body);
    expect(cleaned.refusal).to.equal(null);
    expect(cleaned.value).to.deep.equal(JSON.parse('{"a":"xyz\\t\\n\\r","list":["q"],"__proto__":"p"}'));
    expect(Object.getOwnPropertyDescriptor(cleaned.value, '__proto__')?.value, 'the own __proto__ key is rewritten, not assigned to').to.equal('p');
    expect(cleanInput('a\u0000b').value).to.equal('ab');
    expect(cleanInput({ deep: nested(MAX_INPUT_DEPTH - 1) }).refusal).to.equal(null);
    expect(cleanInput({ deep: nested(MAX_INPUT_DEPTH) }).refusal).to.equal('too-deep');
    expect(cleanInput({ 'na\u0000me': 'x' }).refusal).to.equal('control-key');
  });

  it('more than 1,000 form fields is 413, not 500', async () => {
    const fields = Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&');
    const res = await a.agent.post('/lti/practicum/entries').set('Accept', 'application/json').type('form').send(`ltik=${a.ltik}&${fields}`);
    expect(res.status, res.text).to.equal(413);
    expect(res.body.error).to.equal('too_many_fields');
  });

  it('a 5,000-deep JSON array is refused with 400 before any route; bracketed form and query keys stay flat', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const field of ['hours', 'description', 'standards']) {
      const res = await a.agent.post('/lti/practicum/entries').set('Accept', 'application/json').set('Content-Type', 'application/json').send(`{"ltik":"${a.ltik}","${field}":${deep}}`);
      expect(res.status, `${field}: ${res.text}`).to.equal(400);
      expect(res.body.error).to.equal('input_too_deep');
    }
    const key = `a${'[0]'.repeat(5000)}`;
    const form = await a.agent.post('/lti/practicum/entries').type('form').send(`ltik=${a.ltik}&${key}=1&intent=draft`);
    expect(form.status, form.text).to.equal(200);
    const query = await get(a, `/lti/practicum?${key}=1`);
    expect(query.status, query.text).to.equal(200);
  });

  it('bodies the parsers refuse keep their 4xx: undecodable gzip (400), unknown content encoding (415)', async () => {
    const gzip = await a.agent.post('/lti/practicum/entries').set('Accept', 'application/json').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('not gzip');
    expect(gzip.status, gzip.text).to.equal(400);
    expect(gzip.body.error).to.equal('malformed_body');
    const encoding = await a.agent.post('/lti/practicum/entries').set('Accept', 'application/json').set('Content-Type', 'application/json').set('Content-Encoding', 'compress').send('{}');
    expect(encoding.status, encoding.text).to.equal(415);
    const good = await a.agent.post('/lti/practicum/entries').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(gzipSync(JSON.stringify({ ltik: a.ltik, description: 'zipped draft' })));
    expect(good.status, good.text).to.equal(200);
  });

  it('under /lti, a body of a type we do not read (ltijs would parse it again) is 415 and saves nothing', async () => {
    const before = await entryCount();
    for (const type of ['application/octet-stream', 'text/plain']) {
      const res = await a.agent.post('/lti/practicum/entries').set('Accept', 'application/json').set('Authorization', `Bearer ${a.ltik}`).set('Content-Type', type).send(Buffer.from('intent=draft'));
      expect(res.status, `${type}: ${res.text}`).to.equal(415);
      expect(res.body.error).to.equal('unsupported_body');
    }
    const big = await anonymous().post('/lti/practicum/entries').set('Content-Type', 'text/plain').send('x'.repeat(200_000));
    expect(big.status).to.equal(415);
    expect(await entryCount()).to.equal(before);
  });

  it('NUL and other control characters are stripped from every stored string; tabs and newlines are kept', async () => {
    const res = await a.agent
      .post('/lti/practicum/entries/autosave')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ltik: a.ltik, siteName: 'Lincoln\u0000 Elementary', description: 'Met\u0000 the\u0007 principal\u000b.\tThen\r\nthe team.', reflection: '\u0000' }));
    expect(res.status, res.text).to.equal(200);
    const entry = await PracticumEntryModel.findById(res.body.id).lean();
    expect(entry?.site?.name).to.equal('Lincoln Elementary');
    expect(entry?.description).to.equal('Met the principal.\tThen\r\nthe team.');
    expect(entry?.reflection).to.equal('');
    const form = await a.agent.post('/lti/practicum/entries').type('form').send(`ltik=${a.ltik}&intent=draft&description=${encodeURIComponent('form\u0000 text')}`);
    expect(form.status, form.text).to.equal(200);
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId, description: 'form text' })).to.equal(1);
  });

  it('query strings are cleaned too, and a field name with a control character is refused (400)', async () => {
    const filtered = await get(a, `/lti/practicum?status=submitted%00`);
    expect(filtered.status, filtered.text).to.equal(200);
    const named = await a.agent.post('/lti/practicum/entries/autosave').set('Accept', 'application/json').set('Content-Type', 'application/json').send(JSON.stringify({ ltik: a.ltik, 'description\u0000': 'x' }));
    expect(named.status).to.equal(400);
    expect(named.body.error).to.equal('input_control_key');
    expect(decodeHtml((await get(a, '/lti/practicum')).text)).to.include('practicum-panel');
  });
});
