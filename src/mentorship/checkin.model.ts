import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * One mentor meeting of one candidate in one mentorship activity (one course). `version` counts
 * changes: every change is a compare-and-set on (_id, version), single-winner on the embedded
 * database through a version claim (src/platform/database/version-claim.ts).
 *
 * Status: draft (autosaved, the candidate's alone) → planned (a meeting ahead) → held (recorded by
 * the candidate) → signed-off (by the mentor); changes-requested (mentor or faculty) goes back to
 * held when the candidate edits.
 */
export const CHECKIN_STATUSES = ['draft', 'planned', 'held', 'changes-requested', 'signed-off'] as const;
export type CheckInStatus = (typeof CHECKIN_STATUSES)[number];

const personSchema = new Schema(
  { kind: { type: String, enum: ['lti', 'external'], required: true }, sub: { type: String, default: null }, email: { type: String, default: null }, name: { type: String, default: '' } },
  { _id: false },
);

const actionItemSchema = new Schema(
  {
    id: { type: String, required: true },
    text: { type: String, required: true, maxlength: 500 },
    owner: { type: String, enum: ['candidate', 'mentor'], required: true },
    due: { type: String, default: null },
    isDone: { type: Boolean, default: false },
    /** `<checkInId>:<itemId>` of the open item this one carries forward (null: new here). */
    carriedFrom: { type: String, default: null },
    addedBy: { type: String, enum: ['candidate', 'mentor'], default: 'candidate' },
  },
  { _id: false },
);

const pulseSchema = new Schema(
  {
    workload: { type: Number, min: 1, max: 5, required: true },
    support: { type: Number, min: 1, max: 5, required: true },
    confidence: { type: Number, min: 1, max: 5, required: true },
    connection: { type: Number, min: 1, max: 5, required: true },
    help: { type: String, default: '', maxlength: 2000 },
    isSharedWithMentor: { type: Boolean, default: false },
  },
  { _id: false },
);

const checkInSchema = new Schema(
  {
    activityId: { type: Schema.Types.ObjectId, required: true },
    iss: { type: String, required: true },
    contextId: { type: String, default: null },
    candidateSub: { type: String, required: true },
    candidateName: { type: String, default: '' },
    status: { type: String, enum: CHECKIN_STATUSES, required: true },
    version: { type: Number, required: true, default: 1 },
    /** YYYY-MM-DD; '' only on a draft saved before a date was typed. */
    date: { type: String, default: '' },
    time: { type: String, default: '' },
    durationMinutes: { type: Number, min: 0, max: 600, default: 60 },
    mode: { type: String, enum: ['in-person', 'video', 'phone'], default: 'in-person' },
    location: { type: String, default: '', maxlength: 500 },
    template: { type: String, default: 'open' },
    agenda: { type: String, default: '', maxlength: 5000 },
    goalIds: { type: [String], default: [] },
    candidateNotes: { type: String, default: '', maxlength: 10000 },
    mentorNotes: { type: String, default: '', maxlength: 10000 },
    actionItems: { type: [actionItemSchema], default: [] },
    pulse: { type: pulseSchema, default: null },
    signOff: { type: new Schema({ by: personSchema, at: Date, comment: String }, { _id: false }), default: null },
    changesRequested: { type: new Schema({ by: personSchema, role: String, at: Date, comment: String }, { _id: false }), default: null },
    /** Its length was offered to the course's practicum log (countTowardPracticum); never offered twice. */
    hoursOffered: { type: Boolean, default: false },
  },
  { collection: 'mentorship_checkins', timestamps: true },
);
checkInSchema.index({ activityId: 1, candidateSub: 1, date: 1 });

export interface ActionItem {
  id: string;
  text: string;
  owner: 'candidate' | 'mentor';
  due: string | null;
  isDone: boolean;
  carriedFrom: string | null;
  addedBy: 'candidate' | 'mentor';
}
export type CheckIn = Omit<InferSchemaType<typeof checkInSchema>, 'actionItems'> & { _id: mongoose.Types.ObjectId; actionItems: ActionItem[]; createdAt?: Date; updatedAt?: Date };
export const CheckInModel = mongoose.model('MentorshipCheckIn', checkInSchema);

/** One form (its one-time token) → the check-in it created: a form sent twice creates one. */
const checkInKeySchema = new Schema({ _id: { type: String, required: true }, checkInId: { type: String, required: true }, createdAt: { type: Date, required: true } }, { collection: 'mentorship_checkin_keys', versionKey: false });
export const CheckInKeyModel = mongoose.model('MentorshipCheckInKey', checkInKeySchema);
