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
 * `version` counts changes). Written only by whoever records a change (recordGradeChange); the
 * sender never writes it — on the embedded FerretDB an update is read-then-write of the whole
 * document, so a sender's write could put back an older grade recorded meanwhile. What was sent,
 * and the claim, live in the delivery document of the same _id (GradeDeliveryModel).
 */
const gradeOutboxSchema = new Schema(
  {
    /**
     * gradeSyncId(activityId, userSub): recorded and read by { _id } alone (no scan on the embedded
     * FerretDB). Mixed, not String: a document recorded before this keying keeps its ObjectId, and
     * updates by that _id must not be cast to a string that no longer matches it.
     */
    _id: { type: Schema.Types.Mixed, required: true },
    activityId: { type: String, required: true },
    userSub: { type: String, required: true, maxlength: 255 },
    contextId: { type: String, default: null },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    /** null until a launch names the activity's gradebook column (the sender then takes the activity's). */
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
  },
  { collection: 'grade_outbox', timestamps: true },
);
gradeOutboxSchema.index({ activityId: 1, userSub: 1 }, { unique: true });

export type GradeOutbox = InferSchemaType<typeof gradeOutboxSchema>;

/**
 * Sender fields that outbox documents of earlier versions carried themselves (before deliveries
 * had their own documents); read until upgradeGradeOutbox has moved them out.
 */
export interface LegacyOutboxFields {
  state?: SyncState;
  reason?: string | null;
  attempts?: number;
  nextAttemptAt?: Date | null;
  lastAttemptAt?: Date | null;
  lockedBy?: string | null;
  lockedUntil?: Date | null;
  claimCount?: number;
  sentVersion?: number;
  sentScoreGiven?: number | null;
  sentScoreMaximum?: number | null;
  sentTimestamp?: Date | null;
  sentAt?: Date | null;
}

/**
 * What the sender did with one outbox document (same _id). Written only by the holder of a claim
 * ticket for its claimCount — one writer at a time, so FerretDB's read-then-write loses nothing.
 * `version` and `changedAt` name the change last attempted: a change recorded since makes the grade
 * pending again without anyone writing here.
 */
const gradeDeliverySchema = new Schema(
  {
    _id: { type: Schema.Types.Mixed, required: true },
    activityId: { type: String, required: true },
    userSub: { type: String, required: true },
    claimCount: { type: Number, default: 0 },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    /** The change last attempted (0 = none); changedAt null for one carried over from an earlier version. */
    version: { type: Number, default: 0 },
    changedAt: { type: Date, default: null },
    /** Outcome of that attempt. */
    state: { type: String, enum: ['sent', 'retrying', 'failed'], default: null },
    reason: { type: String, default: null },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, default: null },
    lastAttemptAt: { type: Date, default: null },
    sentVersion: { type: Number, default: 0 },
    sentScoreGiven: { type: Number, default: null },
    sentScoreMaximum: { type: Number, default: null },
    sentTimestamp: { type: Date, default: null },
    sentAt: { type: Date, default: null },
    /** The column the last send went to (the activity's, when the change was recorded without one). */
    lineItemUrl: { type: String, default: null },
  },
  { collection: 'grade_deliveries', versionKey: false },
);
gradeDeliverySchema.index({ activityId: 1 });

export type GradeDelivery = InferSchemaType<typeof gradeDeliverySchema>;
export const GradeDeliveryModel = mongoose.model('GradeDelivery', gradeDeliverySchema);

/**
 * The send queue: one entry per outbox document that has something to send (same _id), due at
 * dueAt. The recorder upserts it after each change; the claim holder deletes it after the send (or
 * moves dueAt to the next attempt) and then reads the outbox document again, so a change recorded
 * during the send puts it back. The sender reads a batch of entries per query: the only filter on
 * the send path that is not { _id }, and this collection holds only what is still to be sent.
 */
const gradeDueSchema = new Schema(
  {
    _id: { type: Schema.Types.Mixed, required: true },
    activityId: { type: String, required: true },
    userSub: { type: String, required: true },
    dueAt: { type: Date, required: true },
    /** Faculty's Retry (or a released gradebook column): send again although the attempt failed. */
    retryRequestedAt: { type: Date, default: null },
  },
  { collection: 'grade_due', versionKey: false },
);
gradeDueSchema.index({ dueAt: 1 });

export type GradeDue = InferSchemaType<typeof gradeDueSchema>;
export const GradeDueModel = mongoose.model('GradeDue', gradeDueSchema);

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
