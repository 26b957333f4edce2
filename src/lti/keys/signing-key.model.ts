import mongoose, { Schema, type Model } from 'mongoose';

/**
 * Which of its keys the tool signs with for one platform, while a rotation is under way. The _id is
 * ltijs's platform id (the kid of the platform's first key, which ltijs also uses as the platform's
 * identity, so it never changes). The keys themselves stay in ltijs's publickey/privatekey
 * collections, where its JWKS route lists every public key. No document: sign with the first key.
 * Written whole (replaceOne) under a version compare-and-set.
 */
export interface SigningKeyState {
  _id: string;
  activeKid: string;
  /** Published in the JWKS, not yet signing: platforms get time to fetch it. */
  nextKid: string | null;
  publishedAt: Date | null;
  /** Signed with before activeKid; kept in the JWKS until its last signatures expired. */
  previousKid: string | null;
  activatedAt: Date | null;
  version: number;
  updatedAt: Date;
}

const schema = new Schema<SigningKeyState>(
  {
    _id: { type: String, required: true },
    activeKid: { type: String, required: true },
    nextKid: { type: String, default: null },
    publishedAt: { type: Date, default: null },
    previousKid: { type: String, default: null },
    activatedAt: { type: Date, default: null },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'tool_signing_keys', versionKey: false },
);

export const SigningKeyStateModel: Model<SigningKeyState> =
  (mongoose.models.ToolSigningKeyState as Model<SigningKeyState> | undefined) ?? mongoose.model('ToolSigningKeyState', schema);
