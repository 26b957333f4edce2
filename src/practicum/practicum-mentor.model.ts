import mongoose, { Schema, type Model } from 'mongoose';

/**
 * Who mentors a candidate in one practicum activity: named by the candidate, reassigned by faculty.
 * One per (activity, candidate). `linkJti` is the newest invitation link; older ones are revoked
 * when a new one is sent, and the access_links record says whether it is invited / used / expired.
 */
export interface PracticumMentorAssignment {
  activityId: string;
  iss: string;
  contextId: string | null;
  candidateSub: string;
  candidateName: string;
  mentor: { email: string; name: string };
  linkJti: string | null;
  namedBy: { sub: string; name: string; role: 'candidate' | 'faculty' };
  namedAt: Date;
}

const schema = new Schema<PracticumMentorAssignment>(
  {
    activityId: { type: String, required: true },
    iss: { type: String, required: true },
    contextId: { type: String, default: null },
    candidateSub: { type: String, required: true },
    candidateName: { type: String, default: '' },
    mentor: {
      email: { type: String, required: true },
      name: { type: String, required: true },
    },
    linkJti: { type: String, default: null },
    namedBy: {
      sub: { type: String, required: true },
      name: { type: String, default: '' },
      role: { type: String, required: true, enum: ['candidate', 'faculty'] },
    },
    namedAt: { type: Date, required: true },
  },
  { collection: 'practicum_mentors', versionKey: false },
);
schema.index({ activityId: 1, candidateSub: 1 }, { unique: true });

export const PracticumMentorModel: Model<PracticumMentorAssignment> =
  (mongoose.models.PracticumMentor as Model<PracticumMentorAssignment> | undefined) ?? mongoose.model('PracticumMentor', schema);
