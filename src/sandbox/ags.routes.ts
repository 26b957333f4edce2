import { Router, type Request, type RequestHandler } from 'express';
import type { ZodTypeAny, z } from 'zod';
import { courseParams, issuesText, lineItemBody, lineItemParams, lineItemQuery, resultQuery } from './ags.schemas';
import { createLineItem, deleteLineItem, findLineItem, lineItemsUrl, listLineItems, presentLineItem, updateLineItem } from './ags.service';
import { AGS_SCOPES } from './id-token.service';
import { linkHeader } from './paging.util';
import { canvasError } from './sandbox.errors';
import type { SandboxDeps } from './sandbox.types';
import { listResults, recordScore } from './score.service';
import { serviceModeGate, serviceSettingsOf } from './service-mode.middleware';
import { requireScope } from './token.service';

const MEDIA = {
  container: 'application/vnd.ims.lis.v2.lineitemcontainer+json',
  lineItem: 'application/vnd.ims.lis.v2.lineitem+json',
  results: 'application/vnd.ims.lis.v2.resultcontainer+json',
  score: 'application/vnd.ims.lis.v1.score+json',
};

function parse<T extends ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw canvasError(400, 'bad_request', issuesText(parsed.error));
  return parsed.data as z.output<T>;
}

/** Wrong ids are "not found", as the real endpoints answer, rather than a validation error. */
function parseIds<T extends ZodTypeAny>(schema: T, req: Request): z.output<T> {
  const parsed = schema.safeParse(req.params);
  if (!parsed.success) throw canvasError(404, 'not_found', 'Not found');
  return parsed.data as z.output<T>;
}

function requireJsonBody(req: Request, mediaType: string): void {
  if (!req.is([mediaType, 'application/json'])) throw canvasError(415, 'unsupported_media_type', `Content-Type must be ${mediaType}`);
}

type AsyncHandler = (req: Request, res: Parameters<RequestHandler>[1]) => Promise<void>;
const handle =
  (fn: AsyncHandler): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** Assignment and Grade Services 2.0: line items, scores, results. */
export function createAgsRouter({ config }: SandboxDeps): Router {
  const router = Router();
  const readScopes = [AGS_SCOPES.lineitem, AGS_SCOPES.lineitemReadonly];

  router.use('/ags/:courseId', serviceModeGate);

  router.get(
    '/ags/:courseId/lineitems',
    handle(async (req, res) => {
      await requireScope(req, readScopes);
      const { courseId } = parseIds(courseParams, req);
      const q = parse(lineItemQuery, req.query);
      const { items, hasNext } = await listLineItems(courseId, { resourceLinkId: q.resource_link_id, resourceId: q.resource_id, tag: q.tag, page: q.page, limit: q.limit });
      const filters = { resource_link_id: q.resource_link_id, resource_id: q.resource_id, tag: q.tag };
      res.set('Link', linkHeader(lineItemsUrl(config, courseId), filters, q.page, q.limit, hasNext));
      res.type(MEDIA.container).send(JSON.stringify(items.map((i) => presentLineItem(config, i))));
    }),
  );

  router.post(
    '/ags/:courseId/lineitems',
    handle(async (req, res) => {
      await requireScope(req, [AGS_SCOPES.lineitem]);
      const { courseId } = parseIds(courseParams, req);
      requireJsonBody(req, MEDIA.lineItem);
      const item = await createLineItem(courseId, parse(lineItemBody, req.body));
      res.status(201).type(MEDIA.lineItem).send(JSON.stringify(presentLineItem(config, item)));
    }),
  );

  router.get(
    '/ags/:courseId/lineitems/:lineItemId',
    handle(async (req, res) => {
      await requireScope(req, readScopes);
      const { courseId, lineItemId } = parseIds(lineItemParams, req);
      res.type(MEDIA.lineItem).send(JSON.stringify(presentLineItem(config, await findLineItem(courseId, lineItemId))));
    }),
  );

  router.put(
    '/ags/:courseId/lineitems/:lineItemId',
    handle(async (req, res) => {
      await requireScope(req, [AGS_SCOPES.lineitem]);
      const { courseId, lineItemId } = parseIds(lineItemParams, req);
      requireJsonBody(req, MEDIA.lineItem);
      const url = `${lineItemsUrl(config, courseId)}/${lineItemId}`;
      const item = await updateLineItem(courseId, lineItemId, parse(lineItemBody, req.body), url);
      res.type(MEDIA.lineItem).send(JSON.stringify(presentLineItem(config, item)));
    }),
  );

  router.delete(
    '/ags/:courseId/lineitems/:lineItemId',
    handle(async (req, res) => {
      await requireScope(req, [AGS_SCOPES.lineitem]);
      const { courseId, lineItemId } = parseIds(lineItemParams, req);
      await deleteLineItem(courseId, lineItemId);
      res.status(204).end();
    }),
  );

  router.post(
    '/ags/:courseId/lineitems/:lineItemId/scores',
    handle(async (req, res) => {
      await requireScope(req, [AGS_SCOPES.score]);
      const { courseId, lineItemId } = parseIds(lineItemParams, req);
      requireJsonBody(req, MEDIA.score);
      res.json(await recordScore(config, courseId, lineItemId, req.body, serviceSettingsOf(res)?.scoringMode));
    }),
  );

  router.get(
    '/ags/:courseId/lineitems/:lineItemId/results',
    handle(async (req, res) => {
      await requireScope(req, [AGS_SCOPES.resultReadonly]);
      const { courseId, lineItemId } = parseIds(lineItemParams, req);
      const q = parse(resultQuery, req.query);
      const { results, hasNext } = await listResults(config, courseId, lineItemId, { userId: q.user_id, page: q.page, limit: q.limit });
      res.set('Link', linkHeader(`${lineItemsUrl(config, courseId)}/${lineItemId}/results`, { user_id: q.user_id }, q.page, q.limit, hasNext));
      res.type(MEDIA.results).send(JSON.stringify(results));
    }),
  );

  return router;
}
