import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const ENTRY_STATUSES = ['draft', 'submitted', 'verified', 'approved', 'returned'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/**
 * One practicum-log entry. Drafts may be incomplete (nothing typed is ever lost), so only the
 * identity fields are required here; completeness is checked when the entry is submitted.
 * `version` guards every change (optimistic concurrency); `progressPending` marks an entry whose
 * change has not yet reached its progress document (see practicum.service.ts).
 */
const entrySchema = new Schema(
  {
    activityId: { type: Schema.Types.ObjectId, required: true },
    iss: { type: String, required: true },
    contextId: { type: String, default: null },
    candidateSub: { type: String, required: true },
    candidateName: { type: String, default: '' },
    date: { type: String, default: null },
    minutes: { type: Number, default: 0, min: 0 },
    site: {
      siteId: { type: Schema.Types.ObjectId, default: null },
      name: { type: String, default: '' },
      district: { type: String, default: '' },
      gradeBand: { type: String, default: null },
      populations: { type: [String], default: [] },
    },
    category: { type: String, default: null },
    standards: { type: [String], default: [] },
    description: { type: String, default: '' },
    reflection: { type: String, default: '' },
    status: { type: String, enum: ENTRY_STATUSES, default: 'draft' },
    mentor: {
      sub: { type: String, default: null },
      email: { type: String, default: null },
      name: { type: String, default: '' },
    },
    returned: {
      by: { type: String, default: null },
      comment: { type: String, default: '' },
      at: { type: Date, default: null },
    },
    verifiedBy: { type: String, default: null },
    approvedBy: { type: String, default: null },
    submittedAt: { type: Date, default: null },
    version: { type: Number, default: 1 },
    progressPending: { type: Boolean, default: false },
    lastTransition: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'practicum_entries', timestamps: true },
);
entrySchema.index({ activityId: 1, candidateSub: 1 });
entrySchema.index({ activityId: 1, status: 1 });

export type PracticumEntry = InferSchemaType<typeof entrySchema> & { _id: mongoose.Types.ObjectId; createdAt: Date; updatedAt: Date };
export const PracticumEntryModel = mongoose.model('PracticumEntry', entrySchema);
