import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * A site remembered by earlier versions (one document per candidate and place). No longer written:
 * the sites offered for reuse are derived from the candidate's entries (practicum-sites.service.ts);
 * these are read only to offer a candidate's earlier sites before their first entry here.
 */
const siteSchema = new Schema(
  {
    iss: { type: String, required: true },
    candidateSub: { type: String, required: true },
    /** Lower-cased name + district: one remembered site per place. */
    key: { type: String, required: true },
    name: { type: String, required: true, maxlength: 200 },
    district: { type: String, default: '', maxlength: 200 },
    gradeBand: { type: String, default: null },
    populations: { type: [String], default: [] },
    lastUsedAt: { type: Date, default: () => new Date() },
  },
  { collection: 'practicum_sites', timestamps: true },
);
siteSchema.index({ iss: 1, candidateSub: 1, key: 1 }, { unique: true });

export type PracticumSite = InferSchemaType<typeof siteSchema> & { _id: mongoose.Types.ObjectId };
export const PracticumSiteModel = mongoose.model('PracticumSite', siteSchema);

export function siteKey(name: string, district: string): string {
  return `${name.trim().toLowerCase()}|${district.trim().toLowerCase()}`;
}
