import { expect } from 'chai';
import { addSandboxPerson, findSandboxMailTo } from '../../src/sandbox';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { sessionFromLocation } from '../access/access-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { useTestMailer } from '../helpers/test-server';
import { readPdf } from './pdf-reader';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, get, open, post, type PracticumCourse, type Session } from './practicum-kit';

const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;

/** RFC 4180 reader (quoted fields with commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endCell();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += ch;
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}

function csvRecords(text: string) {
  expect(text.charCodeAt(0), 'UTF-8 byte-order mark').to.equal(0xfeff);
  const [header, ...rows] = parseCsv(text.slice(1));
  return { header, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

const binary = (res: unknown, cb: (err: Error | null, body: Buffer) => void) => {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('practicum log: exports (CSV, printable hour log, PDF)', function () {
  this.timeout(90_000);
  let course: PracticumCourse;
  let a: Session;
  let b: Session;
  let mentor: Session;
  let faculty: Session;
  const tricky = 'Led the "data day", then met families,\nand planned next steps';

  before(async () => {
    course = await buildPracticumCourse('Exported hours');
    [a, b, mentor, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
    const submit = async (s: Session, body: Record<string, string | string[]>) => expect((await post(s, '/lti/practicum/entries', { ...COMPLETE_ENTRY, ...body, intent: 'submit' })).status).to.equal(200);
    await submit(a, { description: tricky, reflection: '=HYPERLINK("http://evil.example","x")' });
    await submit(a, { date: '2026-10-09', hours: '1', description: '@SUM(A1:A9) lunch duty', category: 'lunch-recess-supervision' });
    await submit(b, { date: '2026-10-07', description: 'Ben’s own entry' });
    const ofA = await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: course.candidateA.sub }).sort({ date: 1 }).lean();
    expect((await post(mentor, '/lti/practicum/entries/verify', { entries: ofA.map(key), comment: 'Seen on site' })).status).to.equal(200);
    const verified = await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: course.candidateA.sub }).sort({ date: 1 }).lean();
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: [key(verified[0])] })).status).to.equal(200);
    expect((await post(faculty, '/lti/practicum/entries/return', { entries: [key(verified[1])], comment: 'Lunch duty, please split it out' })).status).to.equal(200);
  });

  it('candidate: their own entries only, as an Excel-ready CSV with quoting, the formula guard and the review record', async () => {
    const res = await get(a, '/lti/practicum/export.csv');
    expect(res.status, res.text).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="Exported-hours-[a-z0-9]+-hours-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.text).to.include('\r\n');
    expect(res.text).to.include('"Led the ""data day"", then met families,\nand planned next steps"');
    const { header, rows } = csvRecords(res.text);
    expect(header).to.include.members(['Candidate', 'Date', 'Hours', 'Minutes', 'Standards (codes)', 'Standards (names)', 'Verified by', 'Verified at (UTC)', 'Approved at (UTC)', 'Returned comment']);
    expect(rows).to.have.length(2);
    expect(rows.every((r) => r.Candidate === course.candidateA.name)).to.equal(true);
    const [first, second] = rows;
    expect(first).to.include({ Date: '2026-10-05', Hours: '2.5', Minutes: '150', Description: tricky, Status: 'Approved', 'Counts toward requirements': 'Yes' });
    expect(first.Reflection).to.equal(`'=HYPERLINK("http://evil.example","x")`);
    expect(first['Standards (codes)']).to.equal('4; 6.1');
    expect(first['Standards (names)']).to.match(/\w/);
    expect(first['Verified by']).to.equal(course.mentorOfA.name);
    expect(first['Verified at (UTC)']).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(first['Approved by']).to.equal(course.faculty.name);
    expect(second.Description).to.equal(`'@SUM(A1:A9) lunch duty`);
    expect(second).to.include({ Status: 'Returned', 'Returned by': course.faculty.name, 'Returned comment': 'Lunch duty, please split it out', 'Verified by': '', 'Counts toward requirements': 'No' });
    expect(second['Why it does not count']).to.match(/Returned for changes/);

    const chicago = csvRecords((await get(a, '/lti/practicum/export.csv?tz=America%2FChicago')).text);
    expect(chicago.header).to.include('Approved at (America/Chicago)');
    expect(chicago.rows[0]['Approved at (America/Chicago)']).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/).and.not.equal(first['Approved at (UTC)']);
    // An unknown zone is not trusted: UTC, said so.
    expect(csvRecords((await get(a, '/lti/practicum/export.csv?tz=Mars%2FOlympus')).text).header).to.include('Approved at (UTC)');
  });

  it('faculty and coordinators get every candidate of the course; the LMS mentor only their mentee; a designer nothing (403)', async () => {
    const all = csvRecords((await get(faculty, '/lti/practicum/export.csv')).text).rows;
    expect(all.map((r) => r.Candidate).sort()).to.deep.equal([course.candidateA.name, course.candidateA.name, course.candidateB.name].sort());
    const mine = csvRecords((await get(mentor, '/lti/practicum/export.csv')).text).rows;
    expect(mine).to.have.length(2);
    expect(mine.every((r) => r.Candidate === course.candidateA.name)).to.equal(true);
    const coordinatorPerson = await addSandboxPerson(course.id, { name: `Cody Coordinator ${course.id}`, roles: 'coordinator' });
    const coordinator = await open(coordinatorPerson, course.placement);
    expect(csvRecords((await get(coordinator, '/lti/practicum/export.csv')).text).rows).to.have.length(3);
    expect((await get(coordinator, `/lti/practicum/hour-log?candidate=${encodeURIComponent(course.candidateB.sub)}`)).status).to.equal(200);
    const designer = await open(course.designer, course.placement);
    expect((await get(designer, '/lti/practicum/export.csv')).status).to.equal(403);
    expect((await get(designer, `/lti/practicum/hour-log?candidate=${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(403);
  });

  it('denials: no session 401; another candidate’s log 403; a mentor’s non-mentee 403; an unknown candidate 404; another course’s activity 404', async () => {
    expect((await anonymous().get('/lti/practicum/export.csv')).status).to.equal(401);
    expect((await anonymous().get('/lti/practicum/hour-log.pdf')).status).to.equal(401);
    const otherCandidate = `?candidate=${encodeURIComponent(course.candidateB.sub)}`;
    expect((await get(a, `/lti/practicum/hour-log${otherCandidate}`)).status).to.equal(403);
    expect((await get(a, `/lti/practicum/hour-log.pdf${otherCandidate}`)).status).to.equal(403);
    expect((await get(mentor, `/lti/practicum/hour-log${otherCandidate}`)).status).to.equal(403);
    expect((await get(mentor, `/lti/practicum/hour-log.pdf${otherCandidate}`)).status).to.equal(403);
    expect((await get(faculty, '/lti/practicum/hour-log?candidate=nobody-here')).status).to.equal(404);
    expect((await get(faculty, '/lti/practicum/hour-log')).status).to.equal(400);

    const other = await buildPracticumCourse('Other course');
    const outsider = await open(other.faculty, other.placement);
    const res = await get(outsider, `/lti/practicum/export.csv?aid=${course.activityId}`);
    expect(res.status).to.equal(404);
    expect(res.text).not.to.include(course.candidateA.name);
    expect((await get(outsider, `/lti/practicum/hour-log?aid=${course.activityId}&candidate=${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(404);
  });

  it('the printable hour log: header, every entry, totals against the rule pack, what does not count, and who verified and approved when', async () => {
    const res = await get(faculty, `/lti/practicum/hour-log?candidate=${encodeURIComponent(course.candidateA.sub)}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    const html = decodeHtml(res.text);
    expect(html).to.include('/static/hour-log.css').and.to.include('/static/js/hour-log-print.js');
    expect(html).not.to.match(/<script>|style="/);
    expect(html).to.include(course.candidateA.name).and.to.include(course.placement.title).and.to.include('NELP 8 (building level)');
    expect(html).to.include('Counted hours: 2.5 of 300 h required').and.to.include('(3.5 h logged)');
    expect(html).to.match(/Distinct sites<\/th><td data-label="Progress">1 of 2 sites<\/td><td data-label="Status">Not met/);
    expect(html).to.include('Lunch or recess supervision');
    expect(html).to.match(/1 h — Returned for changes/);
    const rows = [...res.text.matchAll(/<tr data-entry-id="[a-f0-9]{24}">/g)];
    expect(rows).to.have.length(2);
    expect(html).to.match(new RegExp(`Verified by ${course.mentorOfA.name}: 1 entry, 2.5 h, \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}`));
    expect(html).to.match(new RegExp(`Approved by ${course.faculty.name}: 1 entry, 2.5 h, \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}`));
    expect(html).to.include('Times are in UTC (your time zone was not known)');
    expect(html).to.include(`Candidate: ${course.candidateA.name} — signature and date`);
    expect(html).to.include(`Mentor / site supervisor: ${course.mentorOfA.name}`);

    const own = await get(a, '/lti/practicum/hour-log?tz=Europe%2FBerlin');
    expect(own.status).to.equal(200);
    expect(decodeHtml(own.text)).to.include(course.candidateA.name).and.to.include('Times are in Europe/Berlin.').and.not.to.include(course.candidateB.name);
    expect((await get(mentor, `/lti/practicum/hour-log?candidate=${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(200);
  });

  it('the hour log as PDF: pages numbered "Page X of Y", the candidate and the totals in its text', async () => {
    const res = await get(faculty, `/lti/practicum/hour-log.pdf?candidate=${encodeURIComponent(course.candidateA.sub)}`).buffer(true).parse(binary);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/pdf');
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="[A-Za-z0-9._-]+-hour-log-Ana-Reyes-[a-z0-9]+-\d{4}-\d{2}-\d{2}\.pdf"$/);
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    const read = await readPdf(pdf);
    const pages = read.pages.length;
    expect(pages).to.be.greaterThan(0);
    const text = read.pages.flatMap((p) => p.lines).join('\n');
    expect(text).to.include(course.candidateA.name);
    expect(text).to.include('Counted hours: 2.5 of 300 h required');
    expect(text).to.include(`Page ${pages} of ${pages}`);
    expect(text).to.include(`Verified by ${course.mentorOfA.name}`);
  });

  it('links sit where each role looks: the candidate near their totals, faculty per candidate and for the course', async () => {
    const own = decodeHtml((await get(a, '/lti/practicum')).text);
    expect(own).to.match(/data-testid="practicum-exports"[\s\S]*Printable hour log[\s\S]*Hour log \(PDF\)[\s\S]*Download hours \(CSV\)/);
    const review = (await get(faculty, '/lti/practicum')).text;
    expect(review).to.include('data-testid="course-csv"');
    expect(review).to.include(`candidate=${encodeURIComponent(course.candidateB.sub)}`);
  });

  it('an emailed mentor (no LMS account) opens the hour log of the candidate they mentor, and of no one else', async () => {
    useTestMailer(null);
    const email = `export-mentor-${Math.random().toString(36).slice(2, 8)}@school.example`;
    expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Sam Supervisor', mentorEmail: email })).status).to.equal(200);
    const [mail] = await findSandboxMailTo(email);
    const token = /\/access\/([A-Za-z0-9._-]+)/.exec(mail.text)![1];
    const redeemed = await anonymous().post('/access/redeem').type('form').send({ token });
    const s = sessionFromLocation(redeemed.headers.location as string);
    const home = await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(home.text).to.include('data-testid="mentor-hour-logs"');
    const query = (candidate: string) => `s=${encodeURIComponent(s)}&aid=${course.activityId}&candidate=${encodeURIComponent(candidate)}`;
    const page = await anonymous().get(`/access/practicum/hour-log?${query(course.candidateA.sub)}`);
    expect(page.status, page.text).to.equal(200);
    expect(decodeHtml(page.text)).to.include(course.candidateA.name).and.to.include('Mentor named for this course: Sam Supervisor');
    const pdf = await anonymous().get(`/access/practicum/hour-log.pdf?${query(course.candidateA.sub)}`).buffer(true).parse(binary);
    expect(pdf.status).to.equal(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).to.equal('%PDF-');
    expect((await anonymous().get(`/access/practicum/hour-log?${query(course.candidateB.sub)}`)).status).to.equal(404);
    expect((await anonymous().get(`/access/practicum/hour-log?aid=${course.activityId}&candidate=${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(401);
  });
});
