import mongoose, { Schema, type Model } from 'mongoose';

/**
 * Mentors as earlier versions stored them: one per (practicum activity, candidate). Mentors are now
 * per course (src/courses/course-mentor.model.ts); these records are only read, once, to carry them
 * over (upgradePracticumMentors), so the schema is loose and never written by the app.
 */
export interface LegacyPracticumMentor {
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

export const PracticumMentorModel: Model<LegacyPracticumMentor> =
  (mongoose.models.PracticumMentor as Model<LegacyPracticumMentor> | undefined) ??
  mongoose.model<LegacyPracticumMentor>('PracticumMentor', new Schema({}, { collection: 'practicum_mentors', strict: false, versionKey: false }));
