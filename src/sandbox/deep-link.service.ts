import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppConfig } from '../platform/config';
import { issuesText } from './ags.schemas';
import { createLineItem, type LineItemJson, presentLineItem } from './ags.service';
import { createSandboxPlacement, getSandboxCourse, type SandboxCourseView, type SandboxPlacementView } from './course.service';
import { badRequest } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import { SandboxDeepLinkSession, SandboxPlacement } from './sandbox.models';
import { ToolJwtError, verifyToolJwt } from './tool-keys.service';

const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim';
const LTI = 'https://purl.imsglobal.org/spec/lti/claim';
/** "Short": the response is posted straight back by the browser, minutes are plenty. */
const MAX_RESPONSE_LIFETIME_S = 10 * 60;

const resourceLinkItem = z.object({
  type: z.literal('ltiResourceLink'),
  title: z.string().max(255).optional(),
  text: z.string().max(10000).optional(),
  url: z.string().url().optional(),
  custom: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'custom parameter names may hold letters, digits, _ and -'), z.string().max(2000)).optional(),
  lineItem: z
    .object({
      scoreMaximum: z.number().finite().positive(),
      label: z.string().max(255).optional(),
      resourceId: z.string().max(255).optional(),
      tag: z.string().max(255).optional(),
    })
    .passthrough()
    .optional(),
});

export interface DeepLinkOutcome {
  course: SandboxCourseView;
  created: Array<{ placement: SandboxPlacementView; lineItem: LineItemJson | null }>;
  msg?: string;
  errormsg?: string;
  log?: string;
  errorlog?: string;
}

const optionalText = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Verifies an LtiDeepLinkingResponse and adds each returned resource link (and its line item) to the course. */
export async function acceptDeepLinkResponse(config: Pick<AppConfig, 'publicUrl' | 'lti'>, jwt: string): Promise<DeepLinkOutcome> {
  const id = sandboxIdentity(config);
  const claims = await verifyToolJwt(jwt, id.toolJwksUrl, {
    issuer: id.clientId,
    audience: id.issuer,
    requiredClaims: ['exp', 'iat', 'nonce'],
    clockSkewSeconds: config.lti.clockSkewSeconds,
  }).catch((err: unknown) => {
    throw err instanceof ToolJwtError ? badRequest(`The deep-linking response JWT was rejected: ${err.message}.`) : err;
  });
  if ((claims.exp as number) - Math.floor(Date.now() / 1000) > MAX_RESPONSE_LIFETIME_S) throw badRequest('exp is too far in the future for a deep-linking response.');
  if (claims[`${LTI}/deployment_id`] !== id.deploymentId) throw badRequest('deployment_id is missing or not this deployment.');
  if (claims[`${LTI}/message_type`] !== 'LtiDeepLinkingResponse') throw badRequest('message_type must be LtiDeepLinkingResponse.');
  if (claims[`${LTI}/version`] !== '1.3.0') throw badRequest('version must be 1.3.0.');
  const data = claims[`${DL}/data`];
  if (typeof data !== 'string' || data.length === 0) throw badRequest('The data value sent in deep_linking_settings was not echoed.');
  const session = await SandboxDeepLinkSession.findOne({ data });
  if (!session || session.expiresAt.getTime() < Date.now()) throw badRequest('The echoed data does not match a deep-linking request of this platform (or it expired).');

  const rawItems = claims[`${DL}/content_items`] ?? [];
  if (!Array.isArray(rawItems)) throw badRequest('content_items must be an array.');
  if (rawItems.length > 1 && !session.acceptMultiple) throw badRequest(`accept_multiple was false but ${rawItems.length} items were returned.`);
  for (const item of rawItems) {
    const type = typeof item === 'object' && item !== null ? (item as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !session.acceptTypes.includes(type)) throw badRequest(`Item type ${String(type)} is not accepted (accept_types: ${session.acceptTypes.join(', ')}).`);
  }
  const items = rawItems.map((item, i) => {
    const parsed = resourceLinkItem.safeParse(item);
    if (!parsed.success) throw badRequest(`content_items[${i}]: ${issuesText(parsed.error)}`);
    if (parsed.data.url && new URL(parsed.data.url).origin !== new URL(id.toolLaunchUrl).origin) throw badRequest(`content_items[${i}].url is not on the tool's domain.`);
    return parsed.data;
  });

  // Claim the session before creating anything, so a replayed response adds nothing twice.
  const claimed = await SandboxDeepLinkSession.updateOne({ _id: session._id, usedAt: null }, { $set: { usedAt: new Date() } });
  if (claimed.modifiedCount === 0) throw badRequest('This deep-linking response was already received.');

  const courseId = session.courseId.toHexString();
  const created: DeepLinkOutcome['created'] = [];
  for (const item of items) {
    const placement = await createSandboxPlacement(courseId, {
      kind: 'resource_link',
      title: item.title?.trim() || 'Fieldbook activity',
      url: item.url,
      custom: item.custom ?? {},
      createdByDeepLink: true,
    });
    let lineItem: LineItemJson | null = null;
    if (item.lineItem) {
      const li = await createLineItem(
        courseId,
        { label: item.lineItem.label?.trim() || placement.title, scoreMaximum: item.lineItem.scoreMaximum, resourceId: item.lineItem.resourceId, tag: item.lineItem.tag, resourceLinkId: placement.resourceLinkId },
        { createdByDeepLink: true },
      );
      await SandboxPlacement.updateOne({ _id: new Types.ObjectId(placement.id) }, { $set: { lineItemId: li._id } });
      placement.lineItemId = li._id.toHexString();
      lineItem = presentLineItem(config, li);
    }
    created.push({ placement, lineItem });
  }
  return {
    course: await getSandboxCourse(courseId),
    created,
    msg: optionalText(claims[`${DL}/msg`]),
    errormsg: optionalText(claims[`${DL}/errormsg`]),
    log: optionalText(claims[`${DL}/log`]),
    errorlog: optionalText(claims[`${DL}/errorlog`]),
  };
}
