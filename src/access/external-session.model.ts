import mongoose, { Schema, type Model } from 'mongoose';
import { ACCESS_PURPOSES, accessDisplayFields, accessScopeFields, type AccessDisplay, type AccessPurpose, type AccessScope } from './access-link.model';

/**
 * A short-lived session opened by redeeming an access link. Only the SHA-256 of
 * the session token is stored, so a database dump does not hand out sessions.
 */
export interface ExternalSessionRecord {
  tokenHash: string;
  linkJti: string;
  purpose: AccessPurpose;
  email: string;
  name: string;
  scope: AccessScope;
  display: AccessDisplay;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
  endedReason: string | null;
}

const externalSessionSchema = new Schema<ExternalSessionRecord>(
  {
    tokenHash: { type: String, required: true, unique: true },
    linkJti: { type: String, required: true, index: true },
    purpose: { type: String, required: true, enum: ACCESS_PURPOSES },
    email: { type: String, required: true },
    name: { type: String, required: true },
    scope: accessScopeFields,
    display: accessDisplayFields,
    invitedBy: { type: String, default: '' },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    endedAt: { type: Date, default: null },
    endedReason: { type: String, default: null },
  },
  { collection: 'external_sessions', versionKey: false },
);

export const ExternalSessionModel: Model<ExternalSessionRecord> =
  (mongoose.models.ExternalSession as Model<ExternalSessionRecord> | undefined) ?? mongoose.model('ExternalSession', externalSessionSchema);
