/**
 * Driver-level reads and writes for the few operations every submit and autosave makes (the
 * candidate's lock, the form token, the entry, its audit record, the progress document), and every
 * grade the sender delivers (outbox, delivery, queue) and the Sandbox's score endpoint receives.
 *
 * Why: mongoose's machinery around a single operation costs more CPU than the operation. Measured
 * in one process against the embedded database (400 each): `Model.create` of a lock 2.5 ms of CPU
 * against 1.0 ms for the driver's insertOne, of an entry 4.1 against 2.2 ms with the schema's
 * validation kept; `findOne(...).lean()` by `_id` 1.5 against 0.6 ms. At a deadline that is about
 * half of Fieldbook's busy time (bench/README.md, Load).
 *
 * What is kept: mongoose's collection (commands wait for a reconnect exactly as the models' do —
 * the database-unavailable handling is unchanged), schema validation and defaults on inserts of
 * entries (insertValidated), timestamps where the schema has them. What callers must do
 * themselves: pass filter values of the stored type (an `_id` of ObjectId type as an ObjectId,
 * never as its string) — there is no casting. Everything else keeps using the models.
 */
import type { Collection, Document as MongoDocument, Filter, Sort, UpdateFilter, UpdateResult } from 'mongodb';

/** A filter of plain stored values (no casting happens here). */
type RawFilter = Record<string, unknown>;
const asFilter = (f: RawFilter) => f as Filter<MongoDocument>;
import { Types, type Model } from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

function collectionOf(model: AnyModel): Collection<MongoDocument> {
  return model.collection as unknown as Collection<MongoDocument>;
}

const hasTimestamps = (model: AnyModel) => Boolean(model.schema.get('timestamps'));

/** An ObjectId from a string id, or null when it is not one (a findOne by it would find nothing). */
export function objectIdOf(id: unknown): Types.ObjectId | null {
  if (id instanceof Types.ObjectId) return id;
  return typeof id === 'string' && /^[0-9a-f]{24}$/i.test(id) ? new Types.ObjectId(id) : null;
}

/** The stored document, as `findOne({ _id }).lean()` answers it. */
export async function findRaw<T>(model: AnyModel, filter: RawFilter, projection?: Record<string, 0 | 1>): Promise<T | null> {
  return (await collectionOf(model).findOne(asFilter(filter), projection ? { projection } : {})) as T | null;
}

/** An insert of a document the code built itself (keys, locks: nothing to validate). */
export async function insertRaw(model: AnyModel, doc: MongoDocument): Promise<void> {
  await collectionOf(model).insertOne(doc);
}

/**
 * An insert with the schema's defaults, casting and validation (what `Model.create` checks),
 * without its save pipeline; answers the document as stored (as `create(...).toObject()`).
 */
export async function insertValidated<T>(model: AnyModel, fields: Record<string, unknown>): Promise<T> {
  const doc = new model(fields);
  const invalid = doc.validateSync();
  if (invalid) throw invalid;
  const stored = doc.toObject({ depopulate: true, virtuals: false, getters: false }) as Record<string, unknown>;
  const versionKey = model.schema.get('versionKey') as string | false | undefined;
  if (versionKey) stored[versionKey] ??= 0;
  if (hasTimestamps(model)) {
    const now = new Date();
    stored.createdAt ??= now;
    stored.updatedAt ??= now;
  }
  await collectionOf(model).insertOne(stored);
  return stored as T;
}

/** A whole-document replace (the schema's timestamps kept up to date). */
export async function replaceRaw(model: AnyModel, filter: RawFilter, replacement: Record<string, unknown>, options: { upsert?: boolean } = {}): Promise<void> {
  const doc = hasTimestamps(model) ? { ...replacement, updatedAt: new Date(), createdAt: replacement.createdAt ?? new Date() } : replacement;
  await collectionOf(model).replaceOne(asFilter(filter), doc, options);
}

export async function deleteRaw(model: AnyModel, filter: RawFilter): Promise<number> {
  return (await collectionOf(model).deleteOne(asFilter(filter))).deletedCount;
}

/** Deletes every match (one command, e.g. `{ _id: { $in: ids } }`); answers how many went. */
export async function deleteManyRaw(model: AnyModel, filter: RawFilter): Promise<number> {
  return (await collectionOf(model).deleteMany(asFilter(filter))).deletedCount;
}

/** The stored documents, as `find(filter).sort(sort).limit(limit).lean()` answers them. */
export async function findManyRaw<T>(model: AnyModel, filter: RawFilter, options: { sort?: Record<string, 1 | -1>; limit?: number } = {}): Promise<T[]> {
  let cursor = collectionOf(model).find(asFilter(filter));
  if (options.sort) cursor = cursor.sort(options.sort as Sort);
  if (options.limit) cursor = cursor.limit(options.limit);
  return (await cursor.toArray()) as T[];
}

type DefaultPath = { path: string; value: (path: string) => unknown };
const defaultPaths = new WeakMap<AnyModel, DefaultPath[]>();

/** The schema's paths that have a default (their values computed per call: a default may be a function). */
function pathsWithDefaults(model: AnyModel): DefaultPath[] {
  let paths = defaultPaths.get(model);
  if (!paths) {
    paths = [];
    model.schema.eachPath((path, schemaType) => {
      const type = schemaType as unknown as { defaultValue?: unknown; getDefault(scope: unknown, init: boolean): unknown; options: { auto?: boolean } };
      if (path === '_id' && type.options.auto) return;
      if (type.defaultValue === undefined || path.includes('$*')) return;
      paths!.push({ path, value: () => type.getDefault(null, true) });
    });
    defaultPaths.set(model, paths);
  }
  return paths;
}

/**
 * An updateOne with an update of operators (`$set`, `$inc`, `$setOnInsert`, ...) whose values are
 * already of the stored types — mongoose would cast them, the driver does not. With `upsert`, the
 * schema's defaults of paths neither the update nor an equality in the filter names go in
 * `$setOnInsert`, as mongoose's setDefaultsOnInsert does, and so does the version key (0), so an
 * inserted document is the one `Model.updateOne` would have inserted (checked field by field and
 * type by type against it); the schema's timestamps are kept (updatedAt set, createdAt on insert).
 */
export async function updateRaw(model: AnyModel, filter: RawFilter, update: RawUpdate, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
  return collectionOf(model).updateOne(asFilter(filter), prepareUpdate(model, filter, update, options), options);
}

/**
 * Several updateRaw's in one command (the driver's bulkWrite, unordered: each update applies or
 * fails on its own, as separate updateOne's would, and any failure is thrown after the rest ran).
 * Each document is still written on its own: this saves the round trips and per-command work.
 */
export async function bulkUpdateRaw(model: AnyModel, updates: { filter: RawFilter; update: RawUpdate; upsert?: boolean }[]): Promise<void> {
  if (updates.length === 0) return;
  await collectionOf(model).bulkWrite(
    updates.map(({ filter, update, upsert = false }) => ({ updateOne: { filter: asFilter(filter), update: prepareUpdate(model, filter, update, { upsert }), upsert } })),
    { ordered: false },
  );
}

type RawUpdate = Record<string, Record<string, unknown>>;

/** The update updateRaw sends: timestamps, and on upsert the schema's defaults and version key. */
function prepareUpdate(model: AnyModel, filter: RawFilter, update: RawUpdate, options: { upsert?: boolean }): UpdateFilter<MongoDocument> {
  let doc = update;
  if (hasTimestamps(model)) {
    const now = new Date();
    doc = { ...doc, $set: { updatedAt: now, ...doc.$set } };
    if (options.upsert) doc.$setOnInsert = { createdAt: now, ...doc.$setOnInsert };
  }
  if (options.upsert) {
    const named = new Set<string>();
    for (const fields of Object.values(doc)) for (const key of Object.keys(fields)) named.add(key.split('.')[0]);
    for (const [key, condition] of Object.entries(filter)) {
      const isOperator = condition !== null && typeof condition === 'object' && !(condition instanceof Types.ObjectId) && !(condition instanceof Date) && Object.keys(condition).some((k) => k.startsWith('$'));
      if (!isOperator) named.add(key.split('.')[0]);
    }
    const defaults: Record<string, unknown> = {};
    for (const { path, value } of pathsWithDefaults(model)) if (!named.has(path.split('.')[0])) defaults[path] = value(path);
    // mongoose's Model.updateOne inserts the version key too (decorateUpdateWithVersionKey).
    const versionKey = model.schema.get('versionKey') as string | false | undefined;
    if (versionKey && !named.has(versionKey)) defaults[versionKey] = 0;
    if (Object.keys(defaults).length > 0) doc = { ...doc, $setOnInsert: { ...defaults, ...doc.$setOnInsert } };
  }
  return doc as UpdateFilter<MongoDocument>;
}
