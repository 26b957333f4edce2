/**
 * What the reconciliation jobs repaired in a candidate's grade, so faculty can see it in the
 * grade-sync table: a grade that had not reached the gradebook and was queued again. One document
 * per (activity, candidate), the latest repair, written whole by `_id` (no scan, no lost $inc on
 * the embedded database); the count says how often it happened.
 */
import mongoose, { Schema } from 'mongoose';
import { gradeSyncId } from './outbox.model';

const gradeRepairSchema = new Schema(
  {
    _id: { type: String, required: true },
    activityId: { type: String, required: true },
    userSub: { type: String, required: true },
    /** Plain words for faculty: what was wrong and what Fieldbook did. */
    what: { type: String, required: true, maxlength: 300 },
    at: { type: Date, required: true },
    count: { type: Number, required: true },
  },
  { collection: 'grade_repairs', versionKey: false },
);
gradeRepairSchema.index({ activityId: 1 });

export const GradeRepairModel = mongoose.model('GradeRepair', gradeRepairSchema);

export interface GradeRepairView {
  userSub: string;
  what: string;
  at: Date;
  count: number;
}

export async function recordGradeRepair(repair: { activityId: string; userSub: string; what: string; at?: Date }): Promise<void> {
  const _id = gradeSyncId(repair.activityId, repair.userSub);
  const before = await GradeRepairModel.findOne({ _id }, { count: 1 }).lean();
  // Two jobs repairing the same grade at once may count one repair too few: the count is a hint, the latest note is what matters.
  await GradeRepairModel.replaceOne(
    { _id },
    { activityId: repair.activityId, userSub: repair.userSub, what: repair.what, at: repair.at ?? new Date(), count: (before?.count ?? 0) + 1 },
    { upsert: true },
  );
}

/** The repairs of one activity, by candidate (a small collection: repairs are rare). */
export async function listGradeRepairs(activityId: string): Promise<Map<string, GradeRepairView>> {
  const docs = await GradeRepairModel.find({ activityId }).lean();
  return new Map(docs.map((d) => [d.userSub, { userSub: d.userSub, what: d.what, at: d.at, count: d.count }]));
}
