import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import { badRequest, notFound } from './sandbox.errors';
import { SandboxCourse, SandboxPerson, SandboxPlacement, type CustomPair, type SandboxPlacementDoc, type SandboxPersonDoc } from './sandbox.models';
import { ProcessMemo } from './memo.util';
import { isGradable, normalizeRole, rolesForPreset } from './roles.service';
import { OBJECT_ID_PATTERN, findOrCreateByKey } from './model.util';
import { PLACEMENT_KINDS, ROLE_PRESETS, type PlacementKind } from './sandbox.types';

export interface SandboxCourseView {
  id: string;
  title: string;
  label: string;
}
export interface SandboxPersonView {
  id: string;
  courseId: string;
  sub: string;
  sisId: string;
  name: string;
  given: string;
  family: string;
  email: string;
  roles: string[];
  menteeIds: string[];
}
export interface SandboxPlacementView {
  id: string;
  courseId: string | null;
  kind: PlacementKind;
  title: string;
  /** Empty: the tool's registered launch URL. */
  url: string;
  custom: Record<string, string>;
  resourceLinkId: string;
  lineItemId: string | null;
  createdByDeepLink: boolean;
}

const courseInput = z.object({ title: z.string().trim().min(1).max(200), label: z.string().trim().min(1).max(60), key: z.string().min(1).optional() });
export type CreateCourseInput = z.input<typeof courseInput>;

const personInput = z.object({
  name: z.string().max(200).default(''),
  given: z.string().max(100).default(''),
  family: z.string().max(100).default(''),
  email: z.string().max(200).default(''),
  roles: z.union([z.enum(ROLE_PRESETS), z.array(z.string().min(1).max(300))]),
  menteeIds: z.array(z.string().regex(OBJECT_ID_PATTERN)).default([]),
  sub: z.string().min(1).max(255).optional(),
  key: z.string().min(1).optional(),
});
export type AddPersonInput = z.input<typeof personInput>;

/** Custom parameter names as LMS admins type them; values are plain strings. */
const customInput = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/), z.string().max(2000));
const placementInput = z.object({
  kind: z.enum(PLACEMENT_KINDS),
  title: z.string().trim().min(1).max(200),
  url: z.string().url().optional(),
  custom: customInput.default({}),
  lineItemId: z.string().regex(OBJECT_ID_PATTERN).optional(),
  resourceLinkId: z.string().min(1).max(255).optional(),
  createdByDeepLink: z.boolean().default(false),
  key: z.string().min(1).optional(),
});
export type CreatePlacementInput = z.input<typeof placementInput>;

function parseInput<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data as z.output<T>;
}

export function toObjectId(id: string): Types.ObjectId {
  if (!OBJECT_ID_PATTERN.test(id)) throw notFound();
  return new Types.ObjectId(id);
}

export const presentCourse = (c: { _id: Types.ObjectId; title: string; label: string }): SandboxCourseView => ({ id: c._id.toHexString(), title: c.title, label: c.label });

export function presentPerson(p: SandboxPersonDoc & { _id: Types.ObjectId }): SandboxPersonView {
  return {
    id: p._id.toHexString(),
    courseId: p.courseId.toHexString(),
    sub: p.sub,
    sisId: p.sisId,
    name: p.name,
    given: p.given,
    family: p.family,
    email: p.email,
    roles: [...p.roles],
    menteeIds: p.menteeIds.map((m) => m.toHexString()),
  };
}

export function presentPlacement(p: SandboxPlacementDoc & { _id: Types.ObjectId }): SandboxPlacementView {
  return {
    id: p._id.toHexString(),
    courseId: p.courseId ? p.courseId.toHexString() : null,
    kind: p.kind,
    title: p.title,
    url: p.url,
    custom: Object.fromEntries(p.custom.map((c: CustomPair) => [c.name, c.value])),
    resourceLinkId: p.resourceLinkId,
    lineItemId: p.lineItemId ? p.lineItemId.toHexString() : null,
    createdByDeepLink: p.createdByDeepLink,
  };
}

/** Creates a course. `key` makes the call idempotent (seed data); without it every call creates one. */
export async function createSandboxCourse(input: CreateCourseInput): Promise<SandboxCourseView> {
  const data = parseInput(courseInput, input);
  const doc = await findOrCreateByKey(SandboxCourse, { key: data.key ?? `course:${randomUUID()}`, title: data.title, label: data.label, createdAt: new Date() });
  return presentCourse(doc);
}

export async function getSandboxCourse(courseId: string): Promise<SandboxCourseView> {
  const doc = await SandboxCourse.findById(toObjectId(courseId));
  if (!doc) throw notFound('No such course in the Sandbox');
  return presentCourse(doc);
}

/** Enrolls a person with a Canvas-like role set (preset) or raw role URIs / short names. */
export async function addSandboxPerson(courseId: string, input: AddPersonInput): Promise<SandboxPersonView> {
  const data = parseInput(personInput, input);
  await getSandboxCourse(courseId);
  const roles = typeof data.roles === 'string' ? rolesForPreset(data.roles) : data.roles.map(normalizeRole);
  const sub = data.sub ?? randomUUID();
  const doc = await findOrCreateByKey(SandboxPerson, {
    key: data.key ?? `person:${sub}`,
    courseId: new Types.ObjectId(courseId),
    sub,
    sisId: `SIS-${sub.slice(0, 8).toUpperCase()}`,
    name: data.name || [data.given, data.family].filter(Boolean).join(' '),
    given: data.given,
    family: data.family,
    email: data.email,
    preset: typeof data.roles === 'string' ? data.roles : null,
    roles,
    menteeIds: data.menteeIds.map((id) => new Types.ObjectId(id)),
    createdAt: new Date(),
  });
  return presentPerson(doc);
}

export async function getSandboxPerson(personId: string): Promise<SandboxPersonView> {
  const doc = await SandboxPerson.findById(toObjectId(personId));
  if (!doc) throw notFound('No such person in the Sandbox');
  return presentPerson(doc);
}

/**
 * Whether each enrolled person found so far may be graded, by course and sub: an enrollment is
 * never changed or removed once made, so the answer holds for the life of the process. Someone not
 * (yet) enrolled is looked up again each time.
 */
const knownGradable = new ProcessMemo<boolean>();

/** Whether `sub` is enrolled in the course as someone the LMS grades (a student, not Student View). */
export async function isGradableInCourse(courseId: string, sub: string): Promise<boolean> {
  const key = `${courseId}:${sub}`;
  const known = knownGradable.get(key);
  if (known !== undefined) return known;
  const person = await SandboxPerson.findOne({ courseId: toObjectId(courseId), sub }).lean();
  if (!person) return false;
  const gradable = isGradable(person.roles);
  knownGradable.set(key, gradable, Number.POSITIVE_INFINITY);
  return gradable;
}

export async function listSandboxPeople(courseId: string): Promise<SandboxPersonView[]> {
  const docs = await SandboxPerson.find({ courseId: toObjectId(courseId) }).sort({ _id: 1 });
  return docs.map(presentPerson);
}

/** Creates a placement; account_navigation placements carry no course context (courseId may be null). */
export async function createSandboxPlacement(courseId: string | null, input: CreatePlacementInput): Promise<SandboxPlacementView> {
  const data = parseInput(placementInput, input);
  if (courseId) await getSandboxCourse(courseId);
  else if (data.kind !== 'account_navigation') throw badRequest('only account_navigation placements may have no course');
  const resourceLinkId = data.resourceLinkId ?? randomUUID();
  const doc = await findOrCreateByKey(SandboxPlacement, {
    key: data.key ?? `placement:${resourceLinkId}`,
    courseId: courseId ? new Types.ObjectId(courseId) : null,
    kind: data.kind,
    title: data.title,
    url: data.url ?? '',
    custom: Object.entries(data.custom).map(([name, value]) => ({ name, value })),
    resourceLinkId,
    lineItemId: data.lineItemId ? new Types.ObjectId(data.lineItemId) : null,
    createdByDeepLink: data.createdByDeepLink,
    createdAt: new Date(),
  });
  return presentPlacement(doc);
}

export async function getSandboxPlacement(placementId: string): Promise<SandboxPlacementView> {
  const doc = await SandboxPlacement.findById(toObjectId(placementId));
  if (!doc) throw notFound('No such placement in the Sandbox');
  return presentPlacement(doc);
}

export async function listSandboxPlacements(courseId: string | null): Promise<SandboxPlacementView[]> {
  const docs = await SandboxPlacement.find({ courseId: courseId ? toObjectId(courseId) : null }).sort({ _id: 1 });
  return docs.map(presentPlacement);
}
