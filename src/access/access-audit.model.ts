import mongoose, { Schema, type Model } from 'mongoose';

export const ACCESS_ACTIONS = [
  'link.issued',
  'link.viewed',
  'link.redeemed',
  'link.revoked',
  'link.refused',
  'session.refused',
  'mail.sent',
  'mail.failed',
  /** A mentor invitation refused at a sending limit (nothing sent); reason holds which limit. */
  'mail.limited',
  /** A candidate named (or faculty reassigned) the mentor of an activity; reason holds the actor's role. */
  'mentor.named',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/**
 * Who did what with external access, and when. Append-only; nothing in the app
 * updates or deletes these records.
 */
export interface AccessAuditRecord {
  actor: { kind: 'external' | 'lti' | 'anonymous'; email: string | null; sub: string | null; name: string };
  action: AccessAction;
  target: { linkJti: string | null; purpose: string | null; email: string | null; candidateSub: string | null; activityId: string | null };
  reason: string | null;
  ip: string | null;
  at: Date;
}

const accessAuditSchema = new Schema<AccessAuditRecord>(
  {
    actor: {
      /** anonymous: a request whose token could not be tied to any link or session (tampered, garbage). */
      kind: { type: String, required: true, enum: ['external', 'lti', 'anonymous'] },
      email: { type: String, default: null },
      sub: { type: String, default: null },
      name: { type: String, default: '' },
    },
    action: { type: String, required: true, enum: ACCESS_ACTIONS },
    target: {
      linkJti: { type: String, default: null },
      purpose: { type: String, default: null },
      email: { type: String, default: null },
      candidateSub: { type: String, default: null },
      activityId: { type: String, default: null },
    },
    /** For refusals: expired | used | revoked | invalid | wrong_purpose | unknown | ended …; mail.limited: the window reached. */
    reason: { type: String, default: null },
    ip: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { collection: 'access_audit', versionKey: false },
);
accessAuditSchema.index({ 'target.linkJti': 1, at: 1 });
accessAuditSchema.index({ at: 1 });

export const AccessAuditModel: Model<AccessAuditRecord> =
  (mongoose.models.AccessAudit as Model<AccessAuditRecord> | undefined) ?? mongoose.model('AccessAudit', accessAuditSchema);
