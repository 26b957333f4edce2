import { Schema, type Types } from 'mongoose';
import { defineModel } from './model.util';
import type { AgsMode, LtiMessageType, PlacementKind, ScoringMode } from './sandbox.types';

/** Custom parameters are kept as pairs: LMS custom keys may hold characters MongoDB rejects in keys. */
export interface CustomPair {
  name: string;
  value: string;
}
const customPairSchema = new Schema<CustomPair>({ name: { type: String, required: true }, value: { type: String, default: '' } }, { _id: false });

export interface SandboxKeyDoc {
  key: string;
  kid: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: Date;
}
export const SandboxKey = defineModel<SandboxKeyDoc>(
  'SandboxKey',
  new Schema<SandboxKeyDoc>({
    key: { type: String, required: true, unique: true },
    kid: { type: String, required: true },
    privateJwk: { type: String, required: true },
    publicJwk: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_keys',
);

export interface SandboxCourseDoc {
  key: string;
  title: string;
  label: string;
  createdAt: Date;
}
export const SandboxCourse = defineModel<SandboxCourseDoc>(
  'SandboxCourse',
  new Schema<SandboxCourseDoc>({
    key: { type: String, required: true, unique: true },
    title: { type: String, required: true },
    label: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_courses',
);

export interface SandboxPersonDoc {
  key: string;
  courseId: Types.ObjectId;
  sub: string;
  sisId: string;
  name: string;
  given: string;
  family: string;
  email: string;
  preset: string | null;
  roles: string[];
  menteeIds: Types.ObjectId[];
  createdAt: Date;
}
const personSchema = new Schema<SandboxPersonDoc>({
  key: { type: String, required: true, unique: true },
  courseId: { type: Schema.Types.ObjectId, required: true, index: true },
  // One LMS user has one sub in every course they are enrolled in (course copy re-enrolls teachers).
  sub: { type: String, required: true },
  sisId: { type: String, required: true },
  name: { type: String, default: '' },
  given: { type: String, default: '' },
  family: { type: String, default: '' },
  email: { type: String, default: '' },
  preset: { type: String, default: null },
  roles: { type: [String], default: [] },
  menteeIds: { type: [Schema.Types.ObjectId], default: [] },
  createdAt: { type: Date, default: () => new Date() },
});
personSchema.index({ courseId: 1, sub: 1 }, { unique: true });
export const SandboxPerson = defineModel<SandboxPersonDoc>('SandboxPerson', personSchema, 'sandbox_people');

export interface SandboxPlacementDoc {
  key: string;
  courseId: Types.ObjectId | null;
  kind: PlacementKind;
  title: string;
  url: string;
  custom: CustomPair[];
  resourceLinkId: string;
  lineItemId: Types.ObjectId | null;
  createdByDeepLink: boolean;
  createdAt: Date;
}
export const SandboxPlacement = defineModel<SandboxPlacementDoc>(
  'SandboxPlacement',
  new Schema<SandboxPlacementDoc>({
    key: { type: String, required: true, unique: true },
    courseId: { type: Schema.Types.ObjectId, default: null, index: true },
    kind: { type: String, required: true },
    title: { type: String, required: true },
    /** Empty means the tool's registered launch URL (resolved at launch, the config knows it). */
    url: { type: String, default: '' },
    custom: { type: [customPairSchema], default: [] },
    resourceLinkId: { type: String, required: true, unique: true },
    lineItemId: { type: Schema.Types.ObjectId, default: null },
    createdByDeepLink: { type: Boolean, default: false },
    createdAt: { type: Date, default: () => new Date() },
  }),
  'sandbox_placements',
);

/** What the opaque lti_message_hint stands for (Canvas signs it; we store it). */
export interface SandboxLaunchRequestDoc {
  hint: string;
  personId: Types.ObjectId;
  courseId: Types.ObjectId | null;
  placementId: Types.ObjectId;
  messageType: LtiMessageType;
  createdAt: Date;
  expiresAt: Date;
}
export const SandboxLaunchRequest = defineModel<SandboxLaunchRequestDoc>(
  'SandboxLaunchRequest',
  new Schema<SandboxLaunchRequestDoc>({
    hint: { type: String, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, default: null },
    placementId: { type: Schema.Types.ObjectId, required: true },
    messageType: { type: String, required: true },
    createdAt: { type: Date, default: () => new Date() },
    expiresAt: { type: Date, required: true },
  }),
  'sandbox_launch_requests',
);

/** The deep-linking request behind a `data` value; the return must echo it exactly. */
export interface SandboxDeepLinkSessionDoc {
  data: string;
  personId: Types.ObjectId;
  courseId: Types.ObjectId;
  placementId: Types.ObjectId;
  acceptTypes: string[];
  acceptMultiple: boolean;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}
export const SandboxDeepLinkSession = defineModel<SandboxDeepLinkSessionDoc>(
  'SandboxDeepLinkSession',
  new Schema<SandboxDeepLinkSessionDoc>({
    data: { type: String, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, required: true },
    courseId: { type: Schema.Types.ObjectId, required: true },
    placementId: { type: Schema.Types.ObjectId, required: true },
    acceptTypes: { type: [String], default: [] },
    acceptMultiple: { type: Boolean, default: false },
    createdAt: { type: Date, default: () => new Date() },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  }),
  'sandbox_deep_link_sessions',
);

/** Switches and counters; key 'global' or 'course:<id>' (a course switch overrides the global one). */
export interface SandboxSettingDoc {
  key: string;
  agsMode: AgsMode | null;
  /** Per course only; null = the default (Canvas). */
  scoringMode: ScoringMode | null;
  retryAfterSeconds: number;
  tokenRequests: number;
  tokensIssued: number;
}
export const SandboxSetting = defineModel<SandboxSettingDoc>(
  'SandboxSetting',
  new Schema<SandboxSettingDoc>({
    key: { type: String, required: true, unique: true },
    agsMode: { type: String, default: null },
    scoringMode: { type: String, default: null },
    retryAfterSeconds: { type: Number, default: 2 },
    tokenRequests: { type: Number, default: 0 },
    tokensIssued: { type: Number, default: 0 },
  }),
  'sandbox_settings',
);
