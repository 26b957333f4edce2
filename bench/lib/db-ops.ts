import mongoose from 'mongoose';

/**
 * Whether the embedded FerretDB answers an operation by reading the whole collection: a filter
 * without an `_id` equality (Fieldbook's build reads `{ _id, …other keys }` by the _id index;
 * `{ _id: { $in } }` still scans). Inserts never scan.
 */
export function scans(method: string, filter: unknown): boolean {
  if (/^insert/.test(method)) return false;
  if (!filter || typeof filter !== 'object') return true;
  const id = (filter as { _id?: unknown })._id;
  return id === undefined || (typeof id === 'object' && id !== null && '$in' in id);
}

/** Runs work and prints its database operations in order (through mongoose), scans marked. */
export async function counted(label: string, work: () => Promise<unknown>): Promise<void> {
  const ops: string[] = [];
  mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
    ops.push(`${collection}.${method}${scans(method, filter) ? ' (scan)' : ''}`);
  });
  try {
    await work();
  } finally {
    mongoose.set('debug', false);
  }
  process.stdout.write(`${label}: ${ops.length} ops (${ops.filter((o) => o.endsWith('(scan)')).length} scans)\n  ${ops.join('\n  ')}\n`);
}
