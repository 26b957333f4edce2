/**
 * Pausing reminders from the link in a reminder mail. The link carries who it is for (a candidate
 * of a platform, or a mentor's email) signed with HMAC-SHA256 under a key derived from
 * LTI_ENCRYPTION_KEY (HKDF, its own info string): nothing to store, and a link can only pause the
 * reminders of the person it was mailed to. Opening it shows a page; only the button changes anything
 * (mail scanners open links).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import type { AppConfig } from '../platform/config';

export interface ReminderRecipient {
  iss: string;
  kind: 'candidate' | 'mentor';
  /** The candidate's LTI sub, or the mentor's email. */
  id: string;
}

const prefSchema = new Schema(
  { _id: { type: String, required: true }, isPaused: { type: Boolean, required: true }, changedAt: { type: Date, required: true } },
  { collection: 'mentorship_reminder_prefs', versionKey: false },
);
const ReminderPrefModel = mongoose.model('MentorshipReminderPref', prefSchema);

const prefId = (r: ReminderRecipient) => JSON.stringify([r.iss, r.kind, r.kind === 'mentor' ? r.id.toLowerCase() : r.id]);

export async function isPaused(r: ReminderRecipient): Promise<boolean> {
  return Boolean((await ReminderPrefModel.findOne({ _id: prefId(r) }).lean())?.isPaused);
}

export async function setPaused(r: ReminderRecipient, isPausedNow: boolean): Promise<void> {
  await ReminderPrefModel.replaceOne({ _id: prefId(r) }, { isPaused: isPausedNow, changedAt: new Date() }, { upsert: true });
}

const keys = new Map<string, Buffer>();
function pauseKey(encryptionKey: string): Buffer {
  let key = keys.get(encryptionKey);
  if (!key) keys.set(encryptionKey, (key = Buffer.from(hkdfSync('sha256', encryptionKey, 'fieldbook', 'fieldbook/reminder-pause/v1', 32))));
  return key;
}

type Settings = Pick<AppConfig, 'publicUrl'> & { lti: Pick<AppConfig['lti'], 'encryptionKey'> };

export function pauseToken(config: Settings, r: ReminderRecipient): string {
  const payload = Buffer.from(JSON.stringify([r.iss, r.kind, r.id])).toString('base64url');
  const sig = createHmac('sha256', pauseKey(config.lti.encryptionKey ?? '')).update(payload).digest('base64url');
  return `${payload}.${sig}`;
}

export async function pauseUrl(config: Settings, r: ReminderRecipient): Promise<string> {
  return `${config.publicUrl}/access/reminders?t=${pauseToken(config, r)}`;
}

/** The recipient a pause link names, or null when the link was altered or is not one. */
export function readPauseToken(config: Settings, token: unknown): ReminderRecipient | null {
  if (typeof token !== 'string' || token.length > 2000) return null;
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return null;
  const expected = createHmac('sha256', pauseKey(config.lti.encryptionKey ?? '')).update(payload).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const [iss, kind, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    if (typeof iss !== 'string' || (kind !== 'candidate' && kind !== 'mentor') || typeof id !== 'string') return null;
    return { iss, kind, id };
  } catch {
    return null;
  }
}
