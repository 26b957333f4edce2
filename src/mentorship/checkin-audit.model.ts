import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * Every change of a check-in or goal: who (LMS person or emailed mentor), when, what. (recordId,
 * version) is unique — the version the change produced — so writing a record again is harmless.
 */
const auditSchema = new Schema(
  {
    recordId: { type: String, required: true },
    recordType: { type: String, enum: ['check-in', 'goal'], required: true },
    activityId: { type: Schema.Types.ObjectId, required: true },
    candidateSub: { type: String, required: true },
    version: { type: Number, required: true },
    action: { type: String, required: true },
    actor: {
      kind: { type: String, enum: ['lti', 'external'], required: true },
      sub: { type: String, default: null },
      email: { type: String, default: null },
      name: { type: String, default: '' },
      role: { type: String, required: true },
    },
    comment: { type: String, default: '' },
    at: { type: Date, required: true },
  },
  { collection: 'mentorship_audit' },
);
auditSchema.index({ recordId: 1, version: 1 }, { unique: true });
auditSchema.index({ activityId: 1, candidateSub: 1 });

export type MentorshipAudit = InferSchemaType<typeof auditSchema> & { _id: mongoose.Types.ObjectId };
export const MentorshipAuditModel = mongoose.model('MentorshipAudit', auditSchema);
