import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const ACTIVITY_PROGRESS = ['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed'] as const;
export const GRADING_PROGRESS = ['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady'] as const;
export type ActivityProgress = (typeof ACTIVITY_PROGRESS)[number];
export type GradingProgress = (typeof GRADING_PROGRESS)[number];

/**
 * pending: due for sending · retrying: the platform could not take it now, sent again at nextAttemptAt ·
 * sent: the platform accepted the latest version · failed: the platform refused it (faculty may retry) ·
 * skipped: an LMS test user, never sent.
 */
export const SYNC_STATES = ['pending', 'retrying', 'sent', 'failed', 'skipped'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

/**
 * One document per (activity, candidate): the grade the LMS should have (the latest change wins,
 * `version` counts changes) and what was last sent. Writes are single-document atomic updates;
 * the sender claims a document with a lease (lockedBy / lockedUntil).
 */
const gradeOutboxSchema = new Schema(
  {
    /**
     * gradeSyncId(activityId, userSub): recorded and read by { _id } alone (no scan on the embedded
     * FerretDB). Mixed, not String: a document recorded before this keying keeps its ObjectId, and
     * the sender's updates by that _id must not be cast to a string that no longer matches it.
     */
    _id: { type: Schema.Types.Mixed, required: true },
    activityId: { type: String, required: true },
    userSub: { type: String, required: true, maxlength: 255 },
    contextId: { type: String, default: null },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    /** null until a launch names the activity's gradebook column (the grade waits for it). */
    lineItemUrl: { type: String, default: null },
    userName: { type: String, default: '' },
    isTestUser: { type: Boolean, default: false },

    scoreGiven: { type: Number, default: null },
    scoreMaximum: { type: Number, required: true },
    activityProgress: { type: String, enum: ACTIVITY_PROGRESS, required: true },
    gradingProgress: { type: String, enum: GRADING_PROGRESS, required: true },
    comment: { type: String, default: null },
    // No schema default: recordGradeChange's $inc creates it (a default would clash on upsert).
    version: { type: Number },
    changedAt: { type: Date, required: true },

    state: { type: String, enum: SYNC_STATES, required: true },
    reason: { type: String, default: null },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, default: null },
    lastAttemptAt: { type: Date, default: null },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    claimCount: { type: Number, default: 0 },

    sentVersion: { type: Number, default: 0 },
    sentScoreGiven: { type: Number, default: null },
    sentScoreMaximum: { type: Number, default: null },
    sentTimestamp: { type: Date, default: null },
    sentAt: { type: Date, default: null },
  },
  { collection: 'grade_outbox', timestamps: true },
);
gradeOutboxSchema.index({ activityId: 1, userSub: 1 }, { unique: true });
gradeOutboxSchema.index({ state: 1, nextAttemptAt: 1 });

export type GradeOutbox = InferSchemaType<typeof gradeOutboxSchema>;

/** The outbox document of one candidate in one activity (unambiguous whatever the ids contain). */
export function gradeSyncId(activityId: string, userSub: string): string {
  return JSON.stringify([activityId, userSub]);
}
export const GradeOutboxModel = mongoose.model('GradeOutbox', gradeOutboxSchema);

/**
 * One ticket per claim of a document state. FerretDB applies findAndModify as read-then-write,
 * so two senders can both "win" the same claim there; only the one that inserts the ticket
 * (unique _id, an atomic insert on both servers) sends. Old tickets are purged in code (no TTL).
 */
const claimTicketSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'grade_outbox_claims', versionKey: false },
);
claimTicketSchema.index({ createdAt: 1 });

export const GradeClaimTicketModel = mongoose.model('GradeClaimTicket', claimTicketSchema);
