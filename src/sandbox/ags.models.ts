import { Schema, type Types } from 'mongoose';
import { defineModel } from './model.util';

export interface SandboxLineItemDoc {
  courseId: Types.ObjectId;
  label: string;
  scoreMaximum: number;
  resourceLinkId: string | null;
  resourceId: string | null;
  tag: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
  gradesReleased: boolean | null;
  /** Canvas ties deep-linked line items to the assignment: they cannot be deleted through AGS. */
  createdByDeepLink: boolean;
  createdAt: Date;
}
const lineItemSchema = new Schema<SandboxLineItemDoc>({
  courseId: { type: Schema.Types.ObjectId, required: true, index: true },
  label: { type: String, required: true },
  scoreMaximum: { type: Number, required: true },
  resourceLinkId: { type: String, default: null },
  resourceId: { type: String, default: null },
  tag: { type: String, default: null },
  startDateTime: { type: String, default: null },
  endDateTime: { type: String, default: null },
  gradesReleased: { type: Boolean, default: null },
  createdByDeepLink: { type: Boolean, default: false },
  createdAt: { type: Date, default: () => new Date() },
});
export const SandboxLineItem = defineModel<SandboxLineItemDoc>('SandboxLineItem', lineItemSchema, 'sandbox_line_items');

/** Every accepted score, kept even when it does not write the gradebook. */
export interface SandboxScoreDoc {
  courseId: Types.ObjectId;
  lineItemId: Types.ObjectId;
  userId: string;
  scoreGiven: number | null;
  scoreMaximum: number | null;
  comment: string | null;
  activityProgress: string;
  gradingProgress: string;
  timestamp: Date;
  timestampText: string;
  /** Extension claims as JSON text: their keys are URLs, which MongoDB rejects as field names. */
  extensionsJson: string | null;
  recordedInGradebook: boolean;
  /** What the score did to the gradebook cell (score-rules.ts); null on scores kept before it was recorded. */
  gradebookEffect: 'write' | 'clear' | 'keep' | null;
  /** The course's scoring mode when the score arrived. */
  scoringMode: string | null;
  receivedAt: Date;
}
const scoreSchema = new Schema<SandboxScoreDoc>({
  courseId: { type: Schema.Types.ObjectId, required: true, index: true },
  lineItemId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: String, required: true },
  scoreGiven: { type: Number, default: null },
  scoreMaximum: { type: Number, default: null },
  comment: { type: String, default: null },
  activityProgress: { type: String, required: true },
  gradingProgress: { type: String, required: true },
  timestamp: { type: Date, required: true },
  timestampText: { type: String, required: true },
  extensionsJson: { type: String, default: null },
  recordedInGradebook: { type: Boolean, required: true },
  gradebookEffect: { type: String, default: null },
  scoringMode: { type: String, default: null },
  receivedAt: { type: Date, default: () => new Date() },
});
scoreSchema.index({ lineItemId: 1, userId: 1, timestamp: -1 });
export const SandboxScore = defineModel<SandboxScoreDoc>('SandboxScore', scoreSchema, 'sandbox_scores');

/**
 * The gradebook cell: written or emptied by scores as the course's LMS rules say (score-rules.ts),
 * and the newest score timestamp accepted for the line item and user, so that one single-document
 * write both refuses a score that goes back in time and changes the cell. A score that leaves the
 * gradebook alone, or clears a cell never written, keeps only the timestamp (hasCell false: no
 * cell is shown). _id = key = "lineItemId:userId": found by { _id }, which the embedded FerretDB
 * answers without scanning the collection.
 */
export interface SandboxGradeDoc {
  _id: string;
  key: string;
  courseId: Types.ObjectId;
  lineItemId: Types.ObjectId;
  userId: string;
  scoreGiven: number | null;
  scoreMaximum: number | null;
  comment: string | null;
  gradingProgress: string;
  timestamp: Date;
  /** The newest accepted score's timestamp; absent on cells written before it was kept here. */
  latestTimestamp?: Date;
  /** False while no score has written or emptied the cell; absent (a cell) on older documents. */
  hasCell?: boolean;
  updatedAt: Date;
}
export const SandboxGrade = defineModel<SandboxGradeDoc>(
  'SandboxGrade',
  new Schema<SandboxGradeDoc>({
    _id: { type: String, required: true },
    key: { type: String, required: true, unique: true },
    courseId: { type: Schema.Types.ObjectId, required: true, index: true },
    lineItemId: { type: Schema.Types.ObjectId, required: true, index: true },
    userId: { type: String, required: true },
    scoreGiven: { type: Number, default: null },
    scoreMaximum: { type: Number, default: null },
    comment: { type: String, default: null },
    gradingProgress: { type: String, required: true },
    timestamp: { type: Date, required: true },
    latestTimestamp: { type: Date },
    hasCell: { type: Boolean },
    updatedAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_grades',
);

/**
 * Where the latest score timestamp per line item and user (_id "lineItemId:userId") was kept before
 * it moved onto SandboxGrade; folded into it at start-up (score.service.ts), no longer written.
 */
export interface SandboxScoreHeadDoc {
  _id: string;
  timestamp: Date;
}
export const SandboxScoreHead = defineModel<SandboxScoreHeadDoc>(
  'SandboxScoreHead',
  new Schema<SandboxScoreHeadDoc>({ _id: { type: String, required: true }, timestamp: { type: Date, required: true } }, { versionKey: false }),
  'sandbox_score_heads',
);

/** Score attempts the Sandbox refused, shown on the gradebook page so a newcomer sees why. */
export interface SandboxRejectedScoreDoc {
  courseId: Types.ObjectId;
  lineItemId: Types.ObjectId;
  userId: string | null;
  status: number;
  reason: string;
  bodyExcerpt: string;
  receivedAt: Date;
}
export const SandboxRejectedScore = defineModel<SandboxRejectedScoreDoc>(
  'SandboxRejectedScore',
  new Schema<SandboxRejectedScoreDoc>({
    courseId: { type: Schema.Types.ObjectId, required: true, index: true },
    lineItemId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: String, default: null },
    status: { type: Number, required: true },
    reason: { type: String, required: true },
    bodyExcerpt: { type: String, default: '' },
    receivedAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_rejected_scores',
);

/**
 * Access tokens are stored hashed; expiry is checked in code (no TTL index on FerretDB).
 * _id = tokenHash, so a service request finds its token by { _id } without a collection scan
 * (tokens issued before that have an ObjectId _id and are found by tokenHash).
 */
export interface SandboxAccessTokenDoc {
  _id: string;
  tokenHash: string;
  scopes: string[];
  expiresAt: Date;
  createdAt: Date;
}
export const SandboxAccessToken = defineModel<SandboxAccessTokenDoc>(
  'SandboxAccessToken',
  new Schema<SandboxAccessTokenDoc>({
    _id: { type: String, required: true },
    tokenHash: { type: String, required: true, unique: true },
    scopes: { type: [String], default: [] },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_access_tokens',
);

/** Client-assertion jti values already used; the unique index makes reuse detection race-free. */
export interface SandboxUsedJtiDoc {
  jti: string;
  expiresAt: Date;
}
export const SandboxUsedJti = defineModel<SandboxUsedJtiDoc>(
  'SandboxUsedJti',
  new Schema<SandboxUsedJtiDoc>({
    jti: { type: String, required: true, unique: true },
    expiresAt: { type: Date, required: true },
  }),
  'sandbox_used_jtis',
);
