import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * A candidate's SMART goal in one mentorship activity, tied to standard elements of the
 * activity's framework. Progress is a history (percent and a note, dated), so faculty and the
 * mentor see how it moved over the term, not only where it stands.
 */
export const GOAL_STATUSES = ['active', 'achieved', 'dropped'] as const;

const goalSchema = new Schema(
  {
    activityId: { type: Schema.Types.ObjectId, required: true },
    iss: { type: String, required: true },
    contextId: { type: String, default: null },
    candidateSub: { type: String, required: true },
    title: { type: String, required: true, maxlength: 200 },
    specific: { type: String, default: '', maxlength: 2000 },
    measurable: { type: String, default: '', maxlength: 2000 },
    achievable: { type: String, default: '', maxlength: 2000 },
    relevant: { type: String, default: '', maxlength: 2000 },
    targetDate: { type: String, default: null },
    standards: { type: [String], default: [] },
    status: { type: String, enum: GOAL_STATUSES, default: 'active' },
    version: { type: Number, required: true, default: 1 },
    progress: { type: [new Schema({ percent: Number, note: String, at: Date }, { _id: false })], default: [] },
  },
  { collection: 'mentorship_goals', timestamps: true },
);
goalSchema.index({ activityId: 1, candidateSub: 1 });

export type MentorshipGoal = InferSchemaType<typeof goalSchema> & { _id: mongoose.Types.ObjectId };
export const MentorshipGoalModel = mongoose.model('MentorshipGoal', goalSchema);
