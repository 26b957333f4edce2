/**
 * ltijs keeps each launch's session in two documents — `idtokens` found by (iss, clientId,
 * deploymentId, user) and `contexttokens` by (contextId, user) — and reads both on every request
 * of a session. On the embedded FerretDB any filter other than exactly `{ _id }` reads the whole
 * collection, so every request scanned two collections that grow with every person who ever
 * launched: under a class's deadline the launch path collapsed (bench/README.md, Load).
 *
 * Here those documents get an `_id` derived from exactly the fields ltijs looks them up by (a
 * SHA-256 cut to an ObjectId, which ltijs's schemas expect), and ltijs's reads, replaces and
 * updates with exactly that set of fields go by `_id`. The same key still finds the same one
 * document, so what ltijs checks is unchanged. A document written before this (a random `_id`) is
 * still found by the original query when the `_id` read misses, until the next launch of that person
 * rewrites it under its derived `_id`; old copies expire with the usual sweep.
 */
import { createHash } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { findRaw } from '../platform/database/direct';
import type { LtiProvider } from './ltijs';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** As mongoose's minimize: empty plain objects removed, at any depth (a parent left empty too). */
export function minimized(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === undefined) continue;
    if (isPlainObject(v)) {
      const inner = minimized(v);
      if (Object.keys(inner).length) out[k] = inner;
    } else out[k] = v;
  }
  return out;
}

const SESSION_KEYS: Record<string, readonly string[]> = {
  idtoken: ['iss', 'clientId', 'deploymentId', 'user'],
  contexttoken: ['contextId', 'user'],
};

/** The derived _id when `query` names exactly the session key of `collection`, else null. */
export function sessionDocumentId(collection: string, query: unknown): Types.ObjectId | null {
  const fields = SESSION_KEYS[collection];
  if (!fields || !query || typeof query !== 'object') return null;
  const q = query as Record<string, unknown>;
  const keys = Object.keys(q);
  if (keys.length !== fields.length || !fields.every((f) => keys.includes(f))) return null;
  const values = fields.map((f) => q[f]);
  // Only plain values: an operator object ({ $ne: … }) is not a key.
  if (!values.every((v) => typeof v === 'string' || typeof v === 'number')) return null;
  const digest = createHash('sha256').update(JSON.stringify([collection, ...values.map(String)])).digest('hex');
  return new Types.ObjectId(digest.slice(0, 24));
}

type Get = (enc: false | string, collection: string, query: object) => Promise<unknown[] | false>;
type Replace = (enc: false | string, collection: string, query: object, item: object, index?: object) => Promise<true>;
type Modify = (enc: false | string, collection: string, query: object, modification: object) => Promise<true>;

let installed = false;

/** Wraps ltijs's Database (after deploy) so session documents are read and written by `_id`. */
export function keySessionDocumentsById(provider: LtiProvider): void {
  if (installed) return;
  installed = true;
  const db = provider.Database as unknown as { Get: Get; Replace: Replace; Modify: Modify };
  const get = db.Get.bind(db);
  const replace = db.Replace.bind(db);
  const modify = db.Modify.bind(db);

  db.Get = async (enc, collection, query) => {
    const _id = enc ? null : sessionDocumentId(collection, query);
    if (!_id) return get(enc, collection, query);
    // Through the driver: read on every request of every session, and mongoose's query and the
    // document it hydrates cost more CPU than the read (src/platform/database/direct.ts). ltijs only
    // JSON-copies what it gets (Provider.sessionValidator); a hydrated document's JSON drops empty
    // objects (mongoose's minimize), so the raw one is minimized the same way.
    const raw = await findRaw<Record<string, unknown>>(mongoose.model(collection), { _id }, { _id: 0, __v: 0 });
    // A session written before documents were keyed: found the old way (a scan), once per miss.
    return raw ? [minimized(raw)] : get(enc, collection, query);
  };
  db.Replace = async (enc, collection, query, item, index) => {
    const _id = enc ? null : sessionDocumentId(collection, query);
    if (!_id) return replace(enc, collection, query, item, index);
    await mongoose.model(collection).replaceOne({ _id }, { ...item, ...query }, { upsert: true });
    return true;
  };
  db.Modify = async (enc, collection, query, modification) => {
    const _id = enc ? null : sessionDocumentId(collection, query);
    if (!_id) return modify(enc, collection, query, modification);
    const res = await mongoose.model(collection).updateOne({ _id }, modification);
    if (res.matchedCount === 0) return modify(enc, collection, query, modification);
    return true;
  };
}
