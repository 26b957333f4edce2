import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * An activity placed by deep linking, in ONE course (iss, clientId, contextId). Its kind (`type`)
 * is one of the registered activity kinds (registry.ts); kind-specific settings are validated by
 * the kind. A course copy never reuses it: a launch from another course gets its own copy
 * (activity.service.ts), `copiedFrom` naming the original.
 *
 * The gradebook column (`lineItemUrl`) is learned from the first launch that carries it, so grades
 * can be recorded and sent later without an LTI session (an emailed mentor's action, a job).
 */
const activitySchema = new Schema(
  {
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, default: null },
    contextTitle: { type: String, default: '' },
    type: { type: String, required: true },
    title: { type: String, required: true, maxlength: 200 },
    pointsPossible: { type: Number, required: true, min: 0 },
    isGraded: { type: Boolean, default: true },
    resourceLinkIds: { type: [String], default: [] },
    createdBy: { type: String, required: true },
    /** Type-specific settings, validated by the kind that owns the type. */
    settings: { type: Schema.Types.Mixed, default: null },
    /** AGS line item of this activity's gradebook column (null until a launch names it). */
    lineItemUrl: { type: String, default: null },
    copiedFrom: { type: String, default: null },
  },
  { collection: 'activities', timestamps: true },
);
activitySchema.index({ iss: 1, contextId: 1 });

export type Activity = InferSchemaType<typeof activitySchema> & { _id: mongoose.Types.ObjectId };
export const ActivityModel = mongoose.model('Activity', activitySchema);

/**
 * Keys that find an activity by _id alone (no scan on the embedded database): the resource link a
 * platform launches it from, the copy made of an original for another course, and the picker form
 * that placed it. Inserting a key is atomic on both servers, so two first launches racing bind one
 * activity and a picker form posted twice places one.
 */
const activityKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    activityId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'activity_keys', versionKey: false },
);
export const ActivityKeyModel = mongoose.model('ActivityKey', activityKeySchema);

export const resourceLinkKey = (iss: string, clientId: string, resourceLinkId: string) => `link:${JSON.stringify([iss, clientId, resourceLinkId])}`;
export const courseCopyKey = (iss: string, clientId: string, contextId: string | null, originalId: string) => `copy:${JSON.stringify([iss, clientId, contextId, originalId])}`;
/** One picker form (its one-time token) of one person in one course → the activity it placed. */
export const placementKey = (iss: string, clientId: string, contextId: string | null, sub: string, formToken: string) =>
  `placed:${JSON.stringify([iss, clientId, contextId, sub, formToken])}`;
