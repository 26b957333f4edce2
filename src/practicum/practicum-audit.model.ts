import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * Every status change of a practicum entry. (entryId, version) is unique: the version the entry
 * reached by this change, so re-writing an audit record during repair is idempotent.
 */
const auditSchema = new Schema(
  {
    entryId: { type: Schema.Types.ObjectId, required: true },
    activityId: { type: Schema.Types.ObjectId, required: true },
    candidateSub: { type: String, required: true },
    version: { type: Number, required: true },
    from: { type: String, required: true },
    to: { type: String, required: true },
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
  { collection: 'practicum_audit' },
);
auditSchema.index({ entryId: 1, version: 1 }, { unique: true });
auditSchema.index({ activityId: 1, candidateSub: 1 });

export type PracticumAudit = InferSchemaType<typeof auditSchema> & { _id: mongoose.Types.ObjectId };
export const PracticumAuditModel = mongoose.model('PracticumAudit', auditSchema);
