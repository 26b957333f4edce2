import mongoose, { Schema, type Model } from 'mongoose';

/**
 * One mentor invitation counted against one fixed window (a candidate's hour or day, a course's
 * day). The _id is `<window key>#<n>` with n from 1 to the window's limit: the unique _id is what
 * keeps a window at its limit when several instances race, because an insert either creates the
 * slot or fails. A counter document with `$inc` cannot do that on FerretDB: its updates are
 * read-modify-write, and concurrent increments of one document were lost when measured.
 */
export interface MentorInviteSlot {
  _id: string;
  /** When the window ends; slots of ended windows are deleted in code (no TTL indexes). */
  expiresAt: Date;
  at: Date;
}

const schema = new Schema<MentorInviteSlot>(
  {
    _id: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'mentor_invite_slots', versionKey: false },
);

export const MentorInviteSlotModel: Model<MentorInviteSlot> =
  (mongoose.models.MentorInviteSlot as Model<MentorInviteSlot> | undefined) ?? mongoose.model('MentorInviteSlot', schema);
