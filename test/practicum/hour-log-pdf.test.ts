import { expect } from 'chai';
import { pdfText, renderHourLogPdf } from '../../src/practicum/hour-log.pdf';
import type { HourLog, LogEntryRow } from '../../src/practicum/practicum-export.service';
import { readPdf } from './pdf-reader';

const CANDIDATE = 'Nguyễn Thị Hương';
const SITE = 'Łódź Primary';

function entry(over: Partial<LogEntryRow> = {}): LogEntryRow {
  return {
    id: 'e1', candidateSub: 'c1', candidateName: CANDIDATE, date: '2026-03-02', minutes: 150, hours: 2.5,
    site: SITE, district: 'Łódź', level: 'Elementary', populations: '', category: 'Observation',
    standardCodes: ['1', '6.1'], standardNames: [], description: 'Observed a “reading circle” with Σωκράτης and Иван.',
    reflection: '', status: 'verified', statusLabel: 'Verified', submittedAt: '2026-03-02 10:00',
    verifiedBy: 'Łukasz Nowak', verifiedAt: '2026-03-03 09:00', approvedBy: '', approvedAt: '',
    returnedBy: '', returnedAt: '', returnedComment: '', counts: true, whyNotCounted: '', ...over,
  };
}

function hourLog(over: Partial<HourLog> = {}): HourLog {
  return {
    courseTitle: 'EDL 610', activityTitle: 'Practicum', candidateName: CANDIDATE, term: 'Spring 2026',
    packName: 'State', packLabel: 'v1', packNotes: [], framework: 'PSEL', zone: { zone: 'Europe/Warsaw' } as HourLog['zone'],
    generatedAt: '2026-03-04 12:00', entries: [entry()], countedHours: 2.5, requiredHours: 300, loggedHours: 2.5,
    isComplete: false, requirements: [{ label: 'Total', text: '2.5 h of 300 h', isMet: false }],
    categories: [{ label: 'Observation', counted: 2.5, logged: 2.5, minimum: null, isMet: null, isExcluded: false }],
    byStatus: [], notCounted: [], reasonTotals: [],
    mentor: { assigned: 'Łukasz Nowak', verifiers: [{ who: 'Łukasz Nowak', entries: 1, hours: 2.5, first: '2026-03-03', last: '2026-03-03' }] },
    faculty: { approvers: [] },
    ...over,
  };
}

describe('practicum hour log PDF: embedded Unicode font, tagged for screen readers', function () {
  it('prints names and sites outside Latin-1 exactly as written (Vietnamese, Polish, Greek, Cyrillic)', async () => {
    const pdf = await renderHourLogPdf(hourLog());
    const { pages } = await readPdf(pdf);
    expect(pages).to.have.length(1);
    const text = pages[0].lines.join('\n');
    expect(text).to.include(`Candidate: ${CANDIDATE}`);
    expect(text).to.include(`${SITE}, Łódź`);
    expect(text).to.include('Verified by Łukasz Nowak');
    expect(text).to.include('“reading circle” with Σωκράτης and');
    expect(text).to.include('Counted hours: 2.5 of 300 h required');
    // Only the embedded fonts: no standard (WinAnsi-only) font is left in the file.
    const raw = pdf.toString('latin1');
    expect(raw).not.to.include('Helvetica');
    expect(raw).to.match(/\/FontFile2 \d+ 0 R/);
    expect(pdf.length, 'subset fonts keep the file small').to.be.lessThan(60_000);
  });

  it('is a tagged PDF: marked, with a structure tree of headings, paragraphs and a table with column headers', async () => {
    const pdf = await renderHourLogPdf(hourLog());
    const raw = pdf.toString('latin1');
    const catalog = /\/Type \/Catalog[\s\S]*?>>\s*endobj/.exec(raw)?.[0] ?? '';
    expect(catalog).to.match(/\/MarkInfo \d+ 0 R/);
    expect(catalog).to.match(/\/StructTreeRoot \d+ 0 R/);
    expect(catalog).to.include('/Lang (en-US)');
    expect(raw).to.match(/\/DisplayDocTitle true/);
    expect(raw).to.match(/\/Scope \/Column/);
    const { markInfo, roles, pages } = await readPdf(pdf);
    expect(markInfo?.Marked).to.equal(true);
    expect(roles).to.include.members(['Document', 'H1', 'H2', 'P', 'Sect', 'Table', 'TR', 'TH', 'TD']);
    expect(roles.filter((r) => r === 'TH')).to.have.length(7);
    expect(roles.filter((r) => r === 'TD')).to.have.length(7);
    expect(roles.indexOf('H1')).to.be.lessThan(roles.indexOf('Table'));
    // The page number is page furniture a screen reader skips; the candidate's name in the text is not.
    expect(pages[0].artifacts).to.deep.equal([`${CANDIDATE} — Practicum — Page 1 of 1`]);
  });

  it('a table over several pages: one TH row in the structure, the repeated headers are artifacts; every page numbered', async () => {
    const entries = Array.from({ length: 40 }, (_, i) => entry({ id: `e${i}`, date: `2026-03-${String((i % 28) + 1).padStart(2, '0')}` }));
    const pdf = await renderHourLogPdf(hourLog({ entries }));
    const { pages } = await readPdf(pdf);
    expect(pages.length).to.be.greaterThan(1);
    pages.forEach((p, i) => expect(p.artifacts.join('\n')).to.include(`Page ${i + 1} of ${pages.length}`));
    expect(pages[1].artifacts.join(' ')).to.include('Site and level');
    // Structure elements are plain objects (only content streams are compressed): count them there.
    const elements = (role: string) => (pdf.toString('latin1').match(new RegExp(`/S /${role}\\b`, 'g')) ?? []).length;
    expect(elements('Table')).to.equal(1);
    expect(elements('TH')).to.equal(7);
    expect(elements('TR')).to.equal(41);
    expect(elements('TD')).to.equal(40 * 7);
  });

  it('a character the font lacks (CJK) does not fail the PDF and is kept as ActualText; control characters are dropped', async () => {
    const pdf = await renderHourLogPdf(hourLog({ candidateName: '王芳', entries: [entry({ description: 'Bell\u0007 rang\tat\r\n9' })] }));
    const { pages } = await readPdf(pdf);
    expect(pages).to.have.length(1);
    expect(pages[0].lines.join('\n')).to.include('Bell rang at').and.not.to.include('\u0007');
    // Drawn as boxes, but the structure element carries the name as ActualText (a UTF-16BE string).
    const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
    const actual = [...pdf.toString('latin1').matchAll(/\/ActualText \(((?:\\.|[^\\)])*)\)/g)].map((m) => {
      const bytes = Buffer.from(m[1].replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c), 'latin1');
      return bytes.subarray(2).swap16().toString('utf16le');
    });
    expect(actual).to.include('Candidate: 王芳').and.to.include('Candidate: 王芳 — signature');
    expect(actual.join(' '), 'only where the font lacks a character').not.to.include('Łukasz');
    expect(pdfText('Nguye\u0302\u0303n\u0000 Thi\u0323')).to.equal('Nguyễn Thị');
    expect(pdfText('a\tb\rc\nd\u001b\u0085\ud800')).to.equal('a b c\nd');
  });
});
