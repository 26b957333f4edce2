import { Types, type HydratedDocument } from 'mongoose';
import type { AppConfig } from '../platform/config';
import { SandboxLineItem, type SandboxLineItemDoc } from './ags.models';
import type { LineItemBody } from './ags.schemas';
import { getSandboxCourse } from './course.service';
import { ProcessMemo } from './memo.util';
import { canvasError } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import { SandboxPlacement } from './sandbox.models';

type LineItemRecord = SandboxLineItemDoc & { _id: Types.ObjectId };

export interface LineItemJson {
  id: string;
  scoreMaximum: number;
  label: string;
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
  startDateTime?: string;
  endDateTime?: string;
  gradesReleased?: boolean;
}

export function lineItemsUrl(config: Pick<AppConfig, 'publicUrl'>, courseId: string): string {
  return `${sandboxIdentity(config).issuer}/ags/${courseId}/lineitems`;
}

export function presentLineItem(config: Pick<AppConfig, 'publicUrl'>, item: LineItemRecord): LineItemJson {
  const json: LineItemJson = { id: `${lineItemsUrl(config, item.courseId.toHexString())}/${item._id.toHexString()}`, scoreMaximum: item.scoreMaximum, label: item.label };
  if (item.resourceLinkId) json.resourceLinkId = item.resourceLinkId;
  if (item.resourceId) json.resourceId = item.resourceId;
  if (item.tag) json.tag = item.tag;
  if (item.startDateTime) json.startDateTime = item.startDateTime;
  if (item.endDateTime) json.endDateTime = item.endDateTime;
  if (item.gradesReleased !== null) json.gradesReleased = item.gradesReleased;
  return json;
}

const notFoundJson = (what: string) => canvasError(404, 'not_found', `${what} not found`);

export async function findLineItem(courseId: string, lineItemId: string): Promise<HydratedDocument<SandboxLineItemDoc>> {
  const item = await SandboxLineItem.findOne({ _id: new Types.ObjectId(lineItemId), courseId: new Types.ObjectId(courseId) });
  if (!item) throw notFoundJson('Line item');
  return item;
}

/**
 * Line items this process found, by id → course id, so a burst of scores does not read its line
 * item each time. Kept 5 s at most: a line item deleted by another process is refused within that;
 * deleting one here forgets it at once.
 */
const LINE_ITEM_MEMO_MS = 5_000;
const knownLineItems = new ProcessMemo<string>();
let lineItemDeletions = 0;

/** 404 unless the line item exists in this course, as findLineItem, from a short in-process copy when one is at hand. */
export async function assertLineItemInCourse(courseId: string, lineItemId: string): Promise<void> {
  if (knownLineItems.get(lineItemId) === courseId) return;
  const generation = lineItemDeletions;
  await findLineItem(courseId, lineItemId);
  if (generation === lineItemDeletions) knownLineItems.set(lineItemId, courseId, Date.now() + LINE_ITEM_MEMO_MS);
}

async function assertResourceLinkInCourse(courseId: string, resourceLinkId: string): Promise<void> {
  const placement = await SandboxPlacement.findOne({ resourceLinkId, courseId: new Types.ObjectId(courseId) });
  if (!placement) throw canvasError(400, 'bad_request', 'resourceLinkId does not belong to a resource link in this course');
}

export interface LineItemFilter {
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
  page: number;
  limit: number;
}

export async function listLineItems(courseId: string, filter: LineItemFilter): Promise<{ items: LineItemRecord[]; hasNext: boolean }> {
  await getSandboxCourse(courseId).catch(() => {
    throw notFoundJson('Course');
  });
  const query: Record<string, unknown> = { courseId: new Types.ObjectId(courseId) };
  if (filter.resourceLinkId) query.resourceLinkId = filter.resourceLinkId;
  if (filter.resourceId) query.resourceId = filter.resourceId;
  if (filter.tag) query.tag = filter.tag;
  const docs = await SandboxLineItem.find(query)
    .sort({ _id: 1 })
    .skip((filter.page - 1) * filter.limit)
    .limit(filter.limit + 1);
  return { items: docs.slice(0, filter.limit), hasNext: docs.length > filter.limit };
}

export interface CreateLineItemOptions {
  createdByDeepLink?: boolean;
}

/** Creates a line item (AGS POST, or a deep-linked item carrying `lineItem`). */
export async function createLineItem(courseId: string, body: LineItemBody, options: CreateLineItemOptions = {}): Promise<LineItemRecord> {
  await getSandboxCourse(courseId).catch(() => {
    throw notFoundJson('Course');
  });
  if (body.resourceLinkId) await assertResourceLinkInCourse(courseId, body.resourceLinkId);
  return SandboxLineItem.create({
    courseId: new Types.ObjectId(courseId),
    label: body.label,
    scoreMaximum: body.scoreMaximum,
    resourceLinkId: body.resourceLinkId ?? null,
    resourceId: body.resourceId ?? null,
    tag: body.tag ?? null,
    startDateTime: body.startDateTime ?? null,
    endDateTime: body.endDateTime ?? null,
    gradesReleased: body.gradesReleased ?? null,
    createdByDeepLink: options.createdByDeepLink ?? false,
    createdAt: new Date(),
  });
}

/** PUT replaces the item; like Canvas, the resource link an item is bound to cannot change. */
export async function updateLineItem(courseId: string, lineItemId: string, body: LineItemBody, expectedUrl: string): Promise<HydratedDocument<SandboxLineItemDoc>> {
  const item = await findLineItem(courseId, lineItemId);
  if (body.id !== undefined && body.id !== expectedUrl) throw canvasError(400, 'bad_request', 'id does not match the line item URL');
  if ((body.resourceLinkId ?? null) !== null && body.resourceLinkId !== item.resourceLinkId) {
    throw canvasError(400, 'bad_request', 'resourceLinkId cannot be changed');
  }
  item.label = body.label;
  item.scoreMaximum = body.scoreMaximum;
  item.resourceId = body.resourceId ?? null;
  item.tag = body.tag ?? null;
  item.startDateTime = body.startDateTime ?? null;
  item.endDateTime = body.endDateTime ?? null;
  item.gradesReleased = body.gradesReleased ?? null;
  await item.save();
  return item;
}

export async function deleteLineItem(courseId: string, lineItemId: string): Promise<void> {
  const item = await findLineItem(courseId, lineItemId);
  if (item.createdByDeepLink) throw canvasError(400, 'bad_request', 'Line items created by deep linking belong to their assignment and cannot be deleted');
  lineItemDeletions += 1;
  knownLineItems.delete(lineItemId);
  await SandboxLineItem.deleteOne({ _id: item._id });
  lineItemDeletions += 1;
  knownLineItems.delete(lineItemId);
  await SandboxPlacement.updateMany({ lineItemId: item._id }, { $set: { lineItemId: null } });
}
