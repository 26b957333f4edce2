import mongoose, { Schema, type Model } from 'mongoose';

/**
 * A one-time dynamic registration link an administrator created (npm run platform:invite). The
 * _id is the SHA-256 of the token: the token itself is never stored, and the lookup is by _id
 * (the only read FerretDB answers without a scan).
 */
export interface RegistrationInvite {
  _id: string;
  label: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * The use of an invite: inserted with the invite's _id before any work is done. The unique _id is
 * what makes an invite single-use across racing requests and instances (an insert either creates
 * the use or fails; an update of the invite would be read-then-write on FerretDB). A registration
 * that fails before anything is stored deletes its use again, so the administrator can retry.
 */
export interface RegistrationInviteUse {
  _id: string;
  at: Date;
  /** Set once the platform is registered: then the use is final. */
  registered: { issuer: string; clientId: string } | null;
}

const inviteSchema = new Schema<RegistrationInvite>(
  {
    _id: { type: String, required: true },
    label: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'lti_registration_invites', versionKey: false },
);

const useSchema = new Schema<RegistrationInviteUse>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    registered: { type: new Schema({ issuer: String, clientId: String }, { _id: false }), default: null },
  },
  { collection: 'lti_registration_invite_uses', versionKey: false },
);

export const RegistrationInviteModel: Model<RegistrationInvite> =
  (mongoose.models.LtiRegistrationInvite as Model<RegistrationInvite> | undefined) ?? mongoose.model('LtiRegistrationInvite', inviteSchema);

export const RegistrationInviteUseModel: Model<RegistrationInviteUse> =
  (mongoose.models.LtiRegistrationInviteUse as Model<RegistrationInviteUse> | undefined) ?? mongoose.model('LtiRegistrationInviteUse', useSchema);
