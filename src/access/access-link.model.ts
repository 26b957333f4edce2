import mongoose, { Schema, type Model } from 'mongoose';

export const ACCESS_PURPOSES = ['mentor-verify'] as const;
export type AccessPurpose = (typeof ACCESS_PURPOSES)[number];

/**
 * Whose work a link names: a candidate in a course (clientId + contextId; links issued before
 * mentors were per course carry only the activity). The session it opens reaches every candidate
 * the mentor currently mentors (src/courses/course-mentors.service.ts).
 */
export interface AccessScope {
  iss: string;
  activityId: string;
  candidateSub: string;
  clientId?: string | null;
  contextId?: string | null;
}

/** Names shown to the person, copied when the link is issued. */
export interface AccessDisplay {
  candidateName: string;
  activityTitle: string;
  courseTitle: string;
}

/** Schema fields for AccessScope and AccessDisplay, shared by links and the sessions they open. */
export const accessScopeFields = {
  iss: { type: String, required: true },
  activityId: { type: String, required: true },
  candidateSub: { type: String, required: true },
  clientId: { type: String, default: null },
  contextId: { type: String, default: null },
};
export const accessDisplayFields = {
  candidateName: { type: String, default: '' },
  activityTitle: { type: String, default: '' },
  courseTitle: { type: String, default: '' },
};

/**
 * One signed link given to a person without an LMS account. The JWT in the URL
 * names this record by jti; the record is the authority on whether the link may
 * still be used (expiry is checked in code: no TTL indexes, see database.md).
 */
export interface AccessLink {
  jti: string;
  purpose: AccessPurpose;
  subject: { email: string; name: string };
  scope: AccessScope;
  display: AccessDisplay;
  createdBy: { sub: string; name: string };
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: { sub: string; name: string } | null;
}

const accessLinkSchema = new Schema<AccessLink>(
  {
    jti: { type: String, required: true, unique: true },
    purpose: { type: String, required: true, enum: ACCESS_PURPOSES },
    subject: {
      email: { type: String, required: true },
      name: { type: String, required: true },
    },
    scope: accessScopeFields,
    display: accessDisplayFields,
    createdBy: {
      sub: { type: String, required: true },
      name: { type: String, required: true },
    },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedBy: {
      type: new Schema({ sub: { type: String, required: true }, name: { type: String, required: true } }, { _id: false }),
      default: null,
    },
  },
  { collection: 'access_links', versionKey: false },
);
accessLinkSchema.index({ 'scope.iss': 1, 'scope.activityId': 1, 'scope.candidateSub': 1 });

export const AccessLinkModel: Model<AccessLink> =
  (mongoose.models.AccessLink as Model<AccessLink> | undefined) ?? mongoose.model('AccessLink', accessLinkSchema);
