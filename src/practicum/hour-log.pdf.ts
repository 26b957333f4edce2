/**
 * The hour log as a PDF (pdfkit, pure JavaScript: no browser at run time). The same document as
 * the printable HTML view: header, every entry with its review record, totals against the rule
 * pack, hours that do not count and why, signature lines, "Page X of Y" on every page.
 *
 * It is a tagged PDF (PDF/UA): headings, paragraphs and the entries table (TR/TH/TD) are in the
 * structure tree, so a screen reader reads it in order and announces the table; cell borders,
 * signature lines, repeated table headers and page numbers are artifacts it skips. The text is set
 * in an embedded Unicode font (pdf-fonts.ts), so a candidate's name prints as written.
 */
import PDFDocument from 'pdfkit';
import type { HourLog, LogEntryRow } from './practicum-export.service';
import { pdfFonts } from './pdf-fonts';

/**
 * Text as it is drawn: composed (NFC, so "ễ" is the font's one glyph rather than e plus two marks),
 * tabs and carriage returns as spaces, other control characters and lone surrogates dropped (they
 * have no glyph and would only confuse line breaking). A character the font lacks (CJK, for one) is
 * kept: fontkit draws it as the font's .notdef glyph, an empty box, and the rest of the text prints;
 * nothing fails (and `spoken` keeps the text for screen readers).
 */
export function pdfText(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\r\t]/g, ' ')
    .replace(/(?!\n)\p{Cc}|\p{Cs}/gu, '');
}

/** Scripts the embedded font draws; text with a character of any other script may show boxes. */
const OUTSIDE_FONT = /[^\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}\p{Script=Inherited}]/u;

/**
 * Options for a structure element showing `value`: where some of it may be drawn as boxes, the
 * element carries the text itself as ActualText, so a screen reader (and copy and paste) still
 * gets the name as written.
 */
function spoken(value: string): PDFKit.Mixins.StructureElementOptions {
  return OUTSIDE_FONT.test(value) ? { actual: pdfText(value) } : {};
}

const MARGIN = 40;
const FOOTER = 28;
const FONT = 'Body';
const BOLD = 'Body-Bold';

interface Column {
  title: string;
  width: number;
  cell: (r: LogEntryRow) => string;
}

const reviewText = (r: LogEntryRow) =>
  [
    r.statusLabel,
    r.verifiedBy ? `Verified: ${r.verifiedBy}, ${r.verifiedAt}` : '',
    r.approvedBy ? `Approved: ${r.approvedBy}, ${r.approvedAt}` : '',
    r.returnedBy ? `Returned: ${r.returnedBy}, ${r.returnedAt}${r.returnedComment ? ` — ${r.returnedComment}` : ''}` : '',
    r.counts ? '' : `Not counted: ${r.whyNotCounted}`,
  ]
    .filter(Boolean)
    .join('\n');

/** Landscape Letter: 792 − 2 × 40 = 712 pt of table width. */
const COLUMNS: Column[] = [
  { title: 'Date', width: 56, cell: (r) => r.date || '—' },
  { title: 'Site and level', width: 110, cell: (r) => [[r.site, r.district].filter(Boolean).join(', '), r.level].filter(Boolean).join('\n') || '—' },
  { title: 'Category', width: 90, cell: (r) => r.category || '—' },
  { title: 'Hours', width: 36, cell: (r) => String(r.hours) },
  { title: 'Standards', width: 70, cell: (r) => r.standardCodes.join(', ') || '—' },
  { title: 'Description', width: 190, cell: (r) => r.description || '—' },
  { title: 'Status and review', width: 160, cell: reviewText },
];

type Struct = PDFKit.PDFStructureElement;
/** pdfkit writes `scope` as the TH's /A << /O /Table /Scope /Column >>; its typings lack the option. */
const COLUMN_HEADER = { scope: 'Column' } as PDFKit.Mixins.StructureElementOptions;

/** Renders the hour log; resolves with the whole file. */
export function renderHourLogPdf(log: HourLog): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: 'landscape',
    margins: { top: MARGIN, bottom: MARGIN + FOOTER, left: MARGIN, right: MARGIN },
    bufferPages: true,
    // Tagged PDF/UA needs PDF 1.7 and embedded fonts; the title is shown instead of the file name.
    pdfVersion: '1.7',
    subset: 'PDF/UA' as PDFKit.Mixins.PDFSubsets, // the typings list the PDF/A subsets only
    tagged: true,
    lang: 'en-US',
    displayTitle: true,
    // null: pdfkit does not load its default Helvetica (not embedded, so not allowed in PDF/UA);
    // every text is in the fonts registered below. The typings want a string.
    font: null as unknown as string,
    info: { Title: pdfText(`Practicum hour log — ${log.candidateName}`), Author: 'Fieldbook', Subject: pdfText(`${log.activityTitle} ${log.courseTitle}`.trim()) },
  });
  const fonts = pdfFonts();
  doc.registerFont(FONT, fonts.regular);
  doc.registerFont(BOLD, fonts.bold);
  doc.font(FONT);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  // Structure elements get their content from closures, drawn when they are added to an element
  // already in the tree: a parent is always added before its children, in reading order.
  const root = doc.struct('Document');
  doc.addStructure(root);
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const text = (value: string, options: PDFKit.Mixins.TextOptions = {}) => doc.text(pdfText(value), { width, ...options });
  const para = (parent: Struct, value: string, options: PDFKit.Mixins.TextOptions = {}) => parent.add(doc.struct('P', spoken(value), () => text(value, options)));
  const section = (title: string): Struct => {
    const sect = doc.struct('Sect');
    root.add(sect);
    if (doc.y + 40 > bottom()) doc.addPage();
    doc.moveDown(0.6).font(BOLD).fontSize(12);
    sect.add(doc.struct('H2', {}, () => text(title)));
    doc.font(FONT).fontSize(9).moveDown(0.2);
    return sect;
  };

  doc.font(BOLD).fontSize(16);
  root.add(doc.struct('H1', {}, () => text('Practicum hour log')));
  doc.font(FONT).fontSize(10).moveDown(0.3);
  const facts: [string, string][] = [
    ['Candidate', log.candidateName],
    ['Program / course', log.courseTitle || '—'],
    ['Activity', log.activityTitle],
    ['Term', log.term],
    ['Rule pack', `${log.packName} (${log.packLabel})`],
    ['Standards', log.framework],
    ['Produced', `${log.generatedAt} (${log.zone.zone}); all times in ${log.zone.zone}`],
  ];
  for (const [label, value] of facts) {
    root.add(
      doc.struct('P', spoken(`${label}: ${value}`), () => {
        doc.font(BOLD);
        text(`${label}: `, { continued: true });
        doc.font(FONT);
        text(value);
      }),
    );
  }

  const totals = section('Totals against the requirements');
  para(totals, `Counted hours: ${log.countedHours} of ${log.requiredHours} h required (${log.loggedHours} h logged). ${log.isComplete ? 'All requirements are met.' : 'Not every requirement is met yet.'}`);
  for (const r of log.requirements) para(totals, `${r.isMet ? 'Met' : 'Not met'} — ${r.label}: ${r.text}`, { indent: 10 });
  if (log.categories.length) {
    doc.moveDown(0.3);
    para(totals, 'By category (counted / logged):');
    for (const c of log.categories) {
      const min = c.minimum !== null ? `, minimum ${c.minimum} h (${c.isMet ? 'met' : 'not met'})` : '';
      para(totals, `${c.label}: ${c.counted} h / ${c.logged} h${min}${c.isExcluded ? ' — does not count under this rule pack' : ''}`, { indent: 10 });
    }
  }
  if (log.reasonTotals.length) {
    doc.moveDown(0.3);
    para(totals, 'Hours that do not count yet, and why:');
    for (const r of log.reasonTotals) para(totals, `${r.hours} h — ${r.message}`, { indent: 10 });
  }

  drawTable(doc, section(`Entries (${log.entries.length})`), log.entries, bottom);

  const record = section('Verification and approval record');
  if (log.mentor.assigned) para(record, `Mentor named for this course: ${log.mentor.assigned}`);
  const reviewers = (label: string, list: HourLog['mentor']['verifiers']) => {
    if (!list.length) para(record, `${label}: none yet.`);
    for (const v of list) para(record, `${label} by ${v.who}: ${v.entries} ${v.entries === 1 ? 'entry' : 'entries'}, ${v.hours} h, ${v.first === v.last ? v.first : `${v.first} to ${v.last}`}`);
  };
  reviewers('Verified', log.mentor.verifiers);
  reviewers('Approved', log.faculty.approvers);

  const signatures = section('Signatures');
  const named = (role: string, name: string | undefined) => (name ? `${role}: ${name}` : role);
  const signers = [named('Candidate', log.candidateName), named('Mentor / site supervisor', log.mentor.verifiers[0]?.who || log.mentor.assigned), named('Faculty', log.faculty.approvers[0]?.who)];
  for (const s of signers) {
    if (doc.y + 56 > bottom()) doc.addPage();
    doc.moveDown(2.4);
    const y = doc.y;
    artifact(doc, () => doc.moveTo(MARGIN, y).lineTo(MARGIN + 300, y).moveTo(MARGIN + 340, y).lineTo(MARGIN + 480, y).lineWidth(0.6).stroke());
    doc.fontSize(8);
    signatures.add(doc.struct('P', spoken(`${s} — signature`), () => doc.text(pdfText(`${s} — signature`), MARGIN, y + 3, { width: 300 })));
    signatures.add(doc.struct('P', {}, () => doc.text('Date', MARGIN + 340, y + 3, { width: 140 })));
    doc.fontSize(9).text('', MARGIN, doc.y);
  }
  root.end();

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Written inside the bottom margin: without this pdfkit would start a new page for it.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    artifact(doc, () => doc.font(FONT).fontSize(8).text(pdfText(`${log.candidateName} — ${log.activityTitle} — Page ${i + 1} of ${range.count}`), MARGIN, doc.page.height - MARGIN - 10, { width, align: 'center', lineBreak: false }), 'Pagination');
    doc.page.margins.bottom = margin;
  }
  doc.end();
  return done;
}

/** Drawing a screen reader skips: rules, borders, repeated headers, page numbers. */
function artifact(doc: PDFKit.PDFDocument, draw: () => void, type: 'Layout' | 'Pagination' = 'Layout'): void {
  doc.markContent('Artifact', { type });
  draw();
  doc.endMarkedContent();
}

function drawTable(doc: PDFKit.PDFDocument, parent: Struct, rows: LogEntryRow[], bottom: () => number): void {
  const pad = 3;
  const tableWidth = COLUMNS.reduce((s, c) => s + c.width, 0);
  let table: Struct | null = null;
  // The first header row is the table's TH row; the ones repeated on later pages are artifacts.
  const header = () => {
    doc.font(BOLD).fontSize(8);
    const y = doc.y;
    const h = 14;
    artifact(doc, () => doc.rect(MARGIN, y, tableWidth, h).fillAndStroke('#e9ecef', '#adb5bd').fillColor('#000'));
    const titles = () => {
      let x = MARGIN;
      return COLUMNS.map((c) => {
        const at = x;
        x += c.width;
        return () => doc.text(c.title, at + pad, y + pad, { width: c.width - 2 * pad, lineBreak: false });
      });
    };
    if (!table) {
      table = doc.struct('Table');
      parent.add(table);
      const tr = doc.struct('TR');
      table.add(tr);
      for (const draw of titles()) {
        // A column header: a screen reader announces it with each cell below it.
        tr.add(doc.struct('TH', COLUMN_HEADER, draw));
      }
      tr.end();
    } else {
      artifact(doc, () => titles().forEach((draw) => draw()), 'Pagination');
    }
    doc.y = y + h;
    doc.font(FONT).fontSize(8);
  };
  if (!rows.length) {
    doc.fontSize(9);
    parent.add(doc.struct('P', {}, () => doc.text('No entries.', MARGIN, doc.y)));
    return;
  }
  if (doc.y + 40 > bottom()) doc.addPage();
  header();
  const maxHeight = bottom() - doc.page.margins.top - 30;
  for (const r of rows) {
    const cells = COLUMNS.map((c) => pdfText(c.cell(r)));
    const natural = Math.max(...cells.map((t, i) => doc.heightOfString(t, { width: COLUMNS[i].width - 2 * pad })));
    // A description longer than a page is cut with an ellipsis (the CSV export has it whole).
    const height = Math.min(natural, maxHeight) + 2 * pad;
    if (doc.y + height > bottom()) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    artifact(doc, () => {
      let x = MARGIN;
      for (const c of COLUMNS) {
        doc.rect(x, y, c.width, height).lineWidth(0.4).stroke('#adb5bd');
        x += c.width;
      }
    });
    const tr = doc.struct('TR');
    table!.add(tr);
    let x = MARGIN;
    for (let i = 0; i < COLUMNS.length; i++) {
      const at = x;
      tr.add(doc.struct('TD', spoken(cells[i]), () => doc.fillColor('#000').text(cells[i], at + pad, y + pad, { width: COLUMNS[i].width - 2 * pad, height: height - 2 * pad, ellipsis: true })));
      x += COLUMNS[i].width;
    }
    tr.end();
    doc.y = y + height;
  }
  (table as Struct | null)?.end();
  doc.x = MARGIN;
}
