import { Schema } from 'mongoose';
import { defineModel } from './model.util';

export interface SandboxMailDoc {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  attachments?: { filename: string; contentType: string; content: string }[];
  createdAt: Date;
}
const mailSchema = new Schema<SandboxMailDoc>({
  to: { type: String, required: true },
  from: { type: String, required: true },
  subject: { type: String, default: '' },
  text: { type: String, default: '' },
  html: { type: String, default: null },
  attachments: { type: [{ _id: false, filename: String, contentType: String, content: String }], default: [] },
  createdAt: { type: Date, default: () => new Date(), index: true },
});
export const SandboxMail = defineModel<SandboxMailDoc>('SandboxMail', mailSchema, 'sandbox_mail');
