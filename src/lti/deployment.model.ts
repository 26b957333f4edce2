import mongoose, { Schema, type InferSchemaType, type Model } from 'mongoose';

/**
 * The deployments Fieldbook accepts per (issuer, client_id). ltijs does not check
 * deployment_id at launch at all, so this collection is the source of truth.
 */
export const DEPLOYMENT_SOURCES = ['cli', 'dynamic', 'sandbox'] as const;
export type DeploymentSource = (typeof DEPLOYMENT_SOURCES)[number];

export const MAX_DEPLOYMENT_ID_LENGTH = 255;

const deploymentSchema = new Schema(
  {
    issuer: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true, minlength: 1, maxlength: MAX_DEPLOYMENT_ID_LENGTH },
    active: { type: Boolean, required: true, default: true },
    source: { type: String, required: true, enum: DEPLOYMENT_SOURCES },
    createdAt: { type: Date, required: true, default: () => new Date() },
    updatedAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'lti_deployments', versionKey: false },
);

deploymentSchema.index({ issuer: 1, clientId: 1, deploymentId: 1 }, { unique: true, name: 'issuer_client_deployment_unique' });

export type Deployment = InferSchemaType<typeof deploymentSchema>;

export const DeploymentModel: Model<Deployment> =
  (mongoose.models.LtiDeployment as Model<Deployment> | undefined) ?? mongoose.model<Deployment>('LtiDeployment', deploymentSchema);

