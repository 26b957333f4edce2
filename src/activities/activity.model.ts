import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const ACTIVITY_TYPES = {
  'practicum-log': 'Practicum log',
  'mentorship-check-ins': 'Mentorship check-ins',
  'leadership-portfolio': 'Leadership portfolio',
  'peer-network': 'Peer network',
} as const;
export type ActivityType = keyof typeof ACTIVITY_TYPES;

/**
 * An activity placed by deep linking. The platform gives it a resource link id
 * only at its first launch, so that id is bound then (resourceLinkIds).
 */
const activitySchema = new Schema(
  {
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    contextId: { type: String, default: null },
    contextTitle: { type: String, default: '' },
    type: { type: String, required: true, enum: Object.keys(ACTIVITY_TYPES) },
    title: { type: String, required: true, maxlength: 200 },
    pointsPossible: { type: Number, required: true, min: 0 },
    isGraded: { type: Boolean, default: true },
    resourceLinkIds: { type: [String], default: [] },
    createdBy: { type: String, required: true },
    /** Type-specific settings, validated by the feature that owns the type (practicum: practicum-settings.ts). */
    settings: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'activities', timestamps: true },
);
activitySchema.index({ iss: 1, contextId: 1 });

export type Activity = InferSchemaType<typeof activitySchema> & { _id: mongoose.Types.ObjectId };
export const ActivityModel = mongoose.model('Activity', activitySchema);
