/**
 * Reads a PDF the way a viewer or screen reader does (pdf.js): the text of each page with the
 * marked-content tags around it (so an Artifact can be told from tagged text), the document's mark
 * info, and the roles in its structure tree.
 */
import type { PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface PdfPageText {
  /** Each line as drawn, its pieces joined. */
  lines: string[];
  /** Text drawn inside an Artifact marked-content sequence (page furniture). */
  artifacts: string[];
}

export interface ReadPdf {
  pages: PdfPageText[];
  markInfo: { Marked?: boolean } | null;
  /** Every structure role in reading order, pages one after another (e.g. Document, H1, P, Table, TR, TH). */
  roles: string[];
}

interface StructNode {
  role?: string;
  children?: StructNode[];
}

export async function readPdf(pdf: Buffer): Promise<ReadPdf> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc: PDFDocumentProxy = await pdfjs.getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  try {
    const pages: PdfPageText[] = [];
    const roles: string[] = [];
    const walk = (node: StructNode | null) => {
      if (!node) return;
      if (node.role) roles.push(node.role);
      for (const child of node.children ?? []) walk(child);
    };
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent({ includeMarkedContent: true });
      const lines: string[] = [];
      const artifacts: string[] = [];
      const tags: string[] = [];
      let line = '';
      for (const item of content.items) {
        if ('type' in item) {
          // pdf.js gives the tag (Artifact, P, TD…) at run time; its typings leave it out.
          if (item.type === 'beginMarkedContent' || item.type === 'beginMarkedContentProps') tags.push((item as { tag?: string }).tag ?? '');
          else if (item.type === 'endMarkedContent') tags.pop();
          continue;
        }
        line += item.str;
        if (tags.includes('Artifact') && item.str.trim()) artifacts.push(item.str);
        if (item.hasEOL) {
          lines.push(line);
          line = '';
        }
      }
      if (line) lines.push(line);
      pages.push({ lines, artifacts });
      walk((await page.getStructTree()) as StructNode | null);
    }
    return { pages, markInfo: await doc.getMarkInfo(), roles };
  } finally {
    await doc.destroy();
  }
}
