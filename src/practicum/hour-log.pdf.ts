/**
 * The hour log as a PDF (pdfkit, pure JavaScript: no browser at run time). The same document as
 * the printable HTML view: header, every entry with its review record, totals against the rule
 * pack, hours that do not count and why, signature lines, "Page X of Y" on every page.
 *
 * The standard PDF fonts (Helvetica) only cover Windows-1252: other characters are written without
 * their accents where that is enough, otherwise as "?" (the HTML view and the CSV keep them all).
 */
import PDFDocument from 'pdfkit';
import type { HourLog, LogEntryRow } from './practicum-export.service';

const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Text the standard fonts can draw. */
export function pdfText(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (ch === '\r' || ch === '\t') out += ' ';
    else {
      const plain = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += /^[\x20-\x7e]+$/.test(plain) ? plain : '?';
    }
  }
  return out;
}

const MARGIN = 40;
const FOOTER = 28;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';

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

/** Renders the hour log; resolves with the whole file. */
export function renderHourLogPdf(log: HourLog): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: 'landscape',
    margins: { top: MARGIN, bottom: MARGIN + FOOTER, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'en-US',
    displayTitle: true,
    info: { Title: pdfText(`Practicum hour log — ${log.candidateName}`), Author: 'Fieldbook', Subject: pdfText(`${log.activityTitle} ${log.courseTitle}`.trim()) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const text = (value: string, options: PDFKit.Mixins.TextOptions = {}) => doc.text(pdfText(value), { width, ...options });
  const heading = (value: string) => {
    if (doc.y + 40 > bottom()) doc.addPage();
    doc.moveDown(0.6).font(BOLD).fontSize(12);
    text(value);
    doc.font(FONT).fontSize(9).moveDown(0.2);
  };

  doc.font(BOLD).fontSize(16);
  text('Practicum hour log');
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
    doc.font(BOLD);
    text(`${label}: `, { continued: true });
    doc.font(FONT);
    text(value);
  }

  heading('Totals against the requirements');
  text(`Counted hours: ${log.countedHours} of ${log.requiredHours} h required (${log.loggedHours} h logged). ${log.isComplete ? 'All requirements are met.' : 'Not every requirement is met yet.'}`);
  for (const r of log.requirements) text(`${r.isMet ? 'Met' : 'Not met'} — ${r.label}: ${r.text}`, { indent: 10 });
  if (log.categories.length) {
    doc.moveDown(0.3);
    text('By category (counted / logged):');
    for (const c of log.categories) {
      const min = c.minimum !== null ? `, minimum ${c.minimum} h (${c.isMet ? 'met' : 'not met'})` : '';
      text(`${c.label}: ${c.counted} h / ${c.logged} h${min}${c.isExcluded ? ' — does not count under this rule pack' : ''}`, { indent: 10 });
    }
  }
  if (log.reasonTotals.length) {
    doc.moveDown(0.3);
    text('Hours that do not count yet, and why:');
    for (const r of log.reasonTotals) text(`${r.hours} h — ${r.message}`, { indent: 10 });
  }

  heading(`Entries (${log.entries.length})`);
  drawTable(doc, log.entries, bottom);

  heading('Verification and approval record');
  if (log.mentor.assigned) text(`Mentor named for this course: ${log.mentor.assigned}`);
  const record = (label: string, list: HourLog['mentor']['verifiers']) => {
    if (!list.length) text(`${label}: none yet.`);
    for (const v of list) text(`${label} by ${v.who}: ${v.entries} ${v.entries === 1 ? 'entry' : 'entries'}, ${v.hours} h, ${v.first === v.last ? v.first : `${v.first} to ${v.last}`}`);
  };
  record('Verified', log.mentor.verifiers);
  record('Approved', log.faculty.approvers);

  heading('Signatures');
  const named = (role: string, name: string | undefined) => (name ? `${role}: ${name}` : role);
  const signers = [named('Candidate', log.candidateName), named('Mentor / site supervisor', log.mentor.verifiers[0]?.who || log.mentor.assigned), named('Faculty', log.faculty.approvers[0]?.who)];
  for (const s of signers) {
    if (doc.y + 56 > bottom()) doc.addPage();
    doc.moveDown(2.4);
    const y = doc.y;
    doc.moveTo(MARGIN, y).lineTo(MARGIN + 300, y).moveTo(MARGIN + 340, y).lineTo(MARGIN + 480, y).lineWidth(0.6).stroke();
    doc.fontSize(8);
    doc.text(pdfText(`${s} — signature`), MARGIN, y + 3, { width: 300 });
    doc.text('Date', MARGIN + 340, y + 3, { width: 140 });
    doc.fontSize(9).text('', MARGIN, doc.y);
  }

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Written inside the bottom margin: without this pdfkit would start a new page for it.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(FONT).fontSize(8).text(pdfText(`${log.candidateName} — ${log.activityTitle} — Page ${i + 1} of ${range.count}`), MARGIN, doc.page.height - MARGIN - 10, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = margin;
  }
  doc.end();
  return done;
}

function drawTable(doc: PDFKit.PDFDocument, rows: LogEntryRow[], bottom: () => number): void {
  const pad = 3;
  const header = () => {
    doc.font(BOLD).fontSize(8);
    const y = doc.y;
    let x = MARGIN;
    const h = 14;
    doc.rect(MARGIN, y, COLUMNS.reduce((s, c) => s + c.width, 0), h).fillAndStroke('#e9ecef', '#adb5bd').fillColor('#000');
    for (const c of COLUMNS) {
      doc.text(c.title, x + pad, y + pad, { width: c.width - 2 * pad, lineBreak: false });
      x += c.width;
    }
    doc.y = y + h;
    doc.font(FONT).fontSize(8);
  };
  if (!rows.length) {
    doc.fontSize(9).text('No entries.', MARGIN, doc.y);
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
    let x = MARGIN;
    for (let i = 0; i < COLUMNS.length; i++) {
      doc.rect(x, y, COLUMNS[i].width, height).lineWidth(0.4).stroke('#adb5bd');
      doc.fillColor('#000').text(cells[i], x + pad, y + pad, { width: COLUMNS[i].width - 2 * pad, height: height - 2 * pad, ellipsis: true });
      x += COLUMNS[i].width;
    }
    doc.y = y + height;
  }
  doc.x = MARGIN;
}
