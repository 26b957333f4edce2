import mongoose, { type Model, type Schema } from 'mongoose';

/** Reuses a compiled model so a second import (tsx watch, test harness) does not throw OverwriteModelError. */
export function defineModel<T>(name: string, schema: Schema<T>, collection: string): Model<T> {
  return (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema, collection);
}

/** A unique-key clash: 11000 on MongoDB, 1 on FerretDB (see shared/database.md). */
export function isDuplicateKeyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === 11000 || code === 11001) return true;
  return code === 1 && typeof message === 'string' && /duplicate/i.test(message);
}

/**
 * Finds the document with this unique key or inserts it. Safe when two processes race:
 * FerretDB upserts are query-then-insert, so the unique index decides and the loser re-reads.
 */
export async function findOrCreateByKey<T extends { key: string }>(model: Model<T>, doc: T): Promise<mongoose.HydratedDocument<T>> {
  const existing = await model.findOne({ key: doc.key });
  if (existing) return existing;
  try {
    return await model.create(doc);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const winner = await model.findOne({ key: doc.key });
    if (!winner) throw err;
    return winner;
  }
}

export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;
