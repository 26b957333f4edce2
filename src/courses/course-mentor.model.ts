import mongoose, { Schema, type Model } from 'mongoose';

/**
 * Who mentors a candidate in a course: one per (platform, course, candidate), shared by every
 * activity of the course (practicum hours, check-ins, portfolio comments). Named by the candidate,
 * reassigned by faculty. `linkJti` is the newest emailed link; older ones are revoked when a new one
 * is sent. Keyed by courseMentorId: found and written by { _id } alone.
 */
export interface CourseMentorAssignment {
  _id: string;
  iss: string;
  clientId: string;
  contextId: string | null;
  courseTitle: string;
  candidateSub: string;
  candidateName: string;
  mentor: { email: string; name: string };
  linkJti: string | null;
  namedBy: { sub: string; name: string; role: 'candidate' | 'faculty' };
  namedAt: Date;
}

const schema = new Schema<CourseMentorAssignment>(
  {
    _id: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    contextId: { type: String, default: null },
    courseTitle: { type: String, default: '' },
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
  { collection: 'course_mentors', versionKey: false },
);
schema.index({ iss: 1, 'mentor.email': 1 });

export const CourseMentorModel: Model<CourseMentorAssignment> =
  (mongoose.models.CourseMentor as Model<CourseMentorAssignment> | undefined) ?? mongoose.model('CourseMentor', schema);

export const courseMentorId = (iss: string, clientId: string, contextId: string | null, candidateSub: string) => JSON.stringify([iss, clientId, contextId, candidateSub]);
