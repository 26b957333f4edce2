import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * One document per (activityId, candidateSub), recomputed from the candidate's entries on every
 * entry write (progress-store.ts), so cohort dashboards read one small document per candidate.
 *
 * `minutes` is nested by status: minutes.<status>.total, .category.<id>, .band.<id>,
 * .population.<id>, and `entries.<status>` counts entries. Category / band / population ids are
 * slugs from rule-packs.ts (never user text), so they are safe as keys (no '.' or '$').
 */
const progressSchema = new Schema(
  {
    /** progressId(activityId, candidateSub); documents of earlier versions keep an ObjectId (re-keyed on their next settle). */
    _id: { type: Schema.Types.Mixed, required: true },
    /** One summary per entry, with the entry version it reflects (progress-store.ts). */
    items: { type: Schema.Types.Mixed, default: null },
    activityId: { type: Schema.Types.ObjectId, required: true },
    iss: { type: String, required: true },
    contextId: { type: String, default: null },
    candidateSub: { type: String, required: true },
    candidateName: { type: String, default: '' },
    minutes: { type: Schema.Types.Mixed, default: () => ({}) },
    entries: { type: Schema.Types.Mixed, default: () => ({}) },
    lastEntryAt: { type: Date, default: null },
    grade: {
      scoreGiven: { type: Number, default: null },
      scoreMaximum: { type: Number, default: null },
      computedAt: { type: Date, default: null },
    },
    recomputedAt: { type: Date, default: null },
  },
  { collection: 'practicum_progress', timestamps: true, minimize: false },
);
progressSchema.index({ activityId: 1, candidateSub: 1 }, { unique: true });
progressSchema.index({ iss: 1, contextId: 1 });

export type PracticumProgress = InferSchemaType<typeof progressSchema> & { _id: mongoose.Types.ObjectId };
export const PracticumProgressModel = mongoose.model('PracticumProgress', progressSchema);

/** The minutes an entry contributes, as flat $inc paths (sign applied by the caller). */
export function progressIncrements(entry: { status: string; minutes: number; category?: string | null; site?: { gradeBand?: string | null; populations?: string[] } | null }, sign: 1 | -1): Record<string, number> {
  const s = entry.status;
  const m = sign * (entry.minutes || 0);
  const inc: Record<string, number> = { [`minutes.${s}.total`]: m, [`entries.${s}`]: sign };
  if (entry.category) inc[`minutes.${s}.category.${entry.category}`] = m;
  if (entry.site?.gradeBand) inc[`minutes.${s}.band.${entry.site.gradeBand}`] = m;
  for (const p of entry.site?.populations ?? []) inc[`minutes.${s}.population.${p}`] = m;
  return inc;
}

/** Adds two increment maps, dropping zero entries (a no-op edit writes nothing). */
export function mergeIncrements(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
  return out;
}
