import { z } from 'zod';
import { SandboxMail, type SandboxMailDoc } from './mail.models';
import { OBJECT_ID_PATTERN } from './model.util';

const mailInput = z.object({
  to: z.string().min(1).max(1000),
  from: z.string().min(1).max(1000),
  subject: z.string().max(1000).default(''),
  text: z.string().max(200_000).default(''),
  html: z.string().max(500_000).optional(),
  attachments: z.array(z.object({ filename: z.string().max(200), contentType: z.string().max(200), content: z.string().max(200_000) })).max(10).optional(),
});
export type SandboxMailInput = z.input<typeof mailInput>;

export interface SandboxMailView {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  hasHtml: boolean;
  /** Link targets found in the HTML part, shown as plain text (never rendered as HTML). */
  links: string[];
  /** Attached files (a calendar file), shown as text. */
  attachments: { filename: string; contentType: string; content: string }[];
  createdAt: string;
}

/** Keeps a message the tool "sent" so the outbox page can show it (the Sandbox's mail transport). */
export async function recordSandboxMail(input: SandboxMailInput): Promise<{ id: string }> {
  const data = mailInput.parse(input);
  const doc = await SandboxMail.create({ ...data, html: data.html ?? null, attachments: data.attachments ?? [], createdAt: new Date() });
  return { id: doc._id.toHexString() };
}

function linksIn(html: string | null): string[] {
  if (!html) return [];
  const found = [...html.matchAll(/href\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1].replace(/&amp;/g, '&'));
  return [...new Set(found)];
}

function present(doc: SandboxMailDoc & { _id: { toHexString(): string } }): SandboxMailView {
  return {
    id: doc._id.toHexString(),
    to: doc.to,
    from: doc.from,
    subject: doc.subject,
    text: doc.text,
    hasHtml: Boolean(doc.html),
    links: linksIn(doc.html),
    attachments: (doc.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    createdAt: doc.createdAt.toISOString(),
  };
}

export async function listSandboxMail(limit = 100): Promise<SandboxMailView[]> {
  const docs = await SandboxMail.find().sort({ createdAt: -1, _id: -1 }).limit(limit).lean();
  return docs.map(present);
}

export async function getSandboxMail(id: string): Promise<SandboxMailView | null> {
  if (!OBJECT_ID_PATTERN.test(id)) return null;
  const doc = await SandboxMail.findById(id).lean();
  return doc ? present(doc) : null;
}

/** Messages sent to an address (newest first) — lets tests find "their" mail. */
export async function findSandboxMailTo(address: string): Promise<SandboxMailView[]> {
  const docs = await SandboxMail.find({ to: { $regex: address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' } })
    .sort({ createdAt: -1, _id: -1 })
    .limit(100)
    .lean();
  return docs.map(present);
}
