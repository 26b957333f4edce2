import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/** A site a candidate has logged hours at, remembered so the next entry can reuse it. */
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
