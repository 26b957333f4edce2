import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * Who is in which course with which Fieldbook roles, written from every launch and from the LMS
 * roster (NRPS), so lists include people who have never opened Fieldbook. One document per
 * (platform, course, person), keyed by membershipId: found and written by { _id } alone.
 */
const membershipSchema = new Schema(
  {
    _id: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    contextId: { type: String, required: true },
    sub: { type: String, required: true, maxlength: 255 },
    name: { type: String, default: '' },
    email: { type: String, default: '' },
    roles: { type: [String], default: [] },
    /** Whose mentor the LMS says this person is (from their launches; the roster does not say). */
    menteeSubs: { type: [String], default: [] },
    isTestUser: { type: Boolean, default: false },
    /** 'inactive' when the LMS roster no longer lists the person as active. */
    status: { type: String, enum: ['active', 'inactive'], default: 'active' },
    lastLaunchAt: { type: Date, default: null },
    lastRosterAt: { type: Date, default: null },
  },
  { collection: 'course_memberships', timestamps: true },
);
membershipSchema.index({ iss: 1, clientId: 1, contextId: 1 });

export type CourseMembership = InferSchemaType<typeof membershipSchema>;
export const CourseMembershipModel = mongoose.model('CourseMembership', membershipSchema);

/** A course as Fieldbook knows it: when its roster was last read from the LMS. */
const courseSchema = new Schema(
  {
    _id: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    contextId: { type: String, required: true },
    title: { type: String, default: '' },
    rosterSyncedAt: { type: Date, default: null },
    rosterError: { type: String, default: null },
  },
  { collection: 'courses', timestamps: true },
);
export const CourseModel = mongoose.model('Course', courseSchema);

export const courseId = (iss: string, clientId: string, contextId: string) => JSON.stringify([iss, clientId, contextId]);
export const membershipId = (iss: string, clientId: string, contextId: string, sub: string) => JSON.stringify([iss, clientId, contextId, sub]);
