/**
 * The fonts embedded in the PDFs: DejaVu Sans Condensed (the dejavu-fonts-ttf package), regular and
 * bold. It covers Latin with every European extension, Vietnamese, Greek, Cyrillic and the usual
 * typographic punctuation, so a name prints as it was entered; its condensed widths are close to
 * Helvetica's, so the tables keep their columns. pdfkit embeds only the glyphs a document uses.
 * Not covered: CJK, Arabic, Hebrew, Indic scripts (see pdfText in hour-log.pdf.ts).
 */
import { readFileSync } from 'fs';
import path from 'path';

const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

let cached: { regular: Buffer; bold: Buffer } | null = null;

/** The font files, read once per process (pdfkit parses them again for each document). */
export function pdfFonts(): { regular: Buffer; bold: Buffer } {
  cached ??= {
    regular: readFileSync(path.join(dir, 'DejaVuSansCondensed.ttf')),
    bold: readFileSync(path.join(dir, 'DejaVuSansCondensed-Bold.ttf')),
  };
  return cached;
}
