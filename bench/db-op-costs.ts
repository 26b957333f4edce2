/**
 * What one database operation of each kind costs on the embedded FerretDB (SQLite), in the
 * database's own CPU time: the launch path is mostly database work on this backend, and
 * operations differ a lot (a write is a SQLite transaction; an upsert is a query then an insert).
 *
 *   npx tsx bench/db-op-costs.ts [--ops 400] [--concurrency 8]
 *
 * Each kind runs `ops` times, `concurrency` at a time, on its own collection; FerretDB's CPU
 * (from /proc) and the wall time are divided by the number of operations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { Schema } from 'mongoose';
import pino from 'pino';
import { startEmbeddedFerretDb } from '../src/platform/database/ferretdb-launcher';
import { cpuByProcess, cpuDelta } from './lib/cpu';

const { values: args } = parseArgs({ options: { ops: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' } } });
const OPS = Number(args.ops);
const CONCURRENCY = Number(args.concurrency);

const doc = (i: number) => ({ key: `k-${i}-${Math.random().toString(36).slice(2)}`, other: 'x'.repeat(40), n: i, at: new Date() });

async function measure(name: string, prepare: () => Promise<void>, op: (i: number) => Promise<unknown>): Promise<string> {
  await prepare();
  const before = cpuByProcess(process.pid);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < OPS) await op(next++);
    }),
  );
  const wall = performance.now() - started;
  const cpu = cpuDelta(before, cpuByProcess(process.pid));
  return `| ${name} | ${((cpu.ferretdb ?? 0) / OPS).toFixed(2)} ms | ${(wall / OPS).toFixed(2)} ms |`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-dbops-'));
  const db = await startEmbeddedFerretDb({ dataDir: dir, logger: pino({ level: 'warn' }) });
  try {
    await mongoose.connect(`${db.uri.replace(/\/$/, '')}/dbops`);
    const schema = new Schema({ key: String, other: String, n: Number, at: Date }, { versionKey: false });
    const plain = mongoose.model('Plain', schema, 'plain');
    const uniqueSchema = schema.clone();
    uniqueSchema.index({ key: 1 }, { unique: true });
    const unique = mongoose.model('Unique', uniqueSchema, 'unique_key');
    await unique.init();
    const seeded = mongoose.model('Seeded', uniqueSchema.clone(), 'seeded');
    await seeded.init();
    const byIdSchema = new Schema({ _id: String, other: String, n: Number, at: Date }, { versionKey: false });
    const byId = mongoose.model('ById', byIdSchema, 'by_id');
    const byIdSeeded = mongoose.model('ByIdSeeded', byIdSchema.clone(), 'by_id_seeded');
    const ids: string[] = [];
    const keys: string[] = [];
    const rows: string[] = [];
    rows.push(
      await measure('insertOne (no index)', async () => undefined, (i) => plain.create(doc(i))),
      await measure('insertOne (unique index)', async () => undefined, (i) => unique.create(doc(i))),
      await measure(
        'findOne by unique key (hit)',
        async () => {
          for (let i = 0; i < OPS; i++) keys.push((await seeded.create(doc(i))).key!);
        },
        (i) => seeded.findOne({ key: keys[i] }).lean(),
      ),
      await measure('findOneAndDelete by unique key (hit)', async () => undefined, (i) => seeded.findOneAndDelete({ key: keys[i] }).lean()),
      await measure('insertOne (string _id)', async () => undefined, (i) => byId.create({ _id: doc(i).key, other: 'x', n: i, at: new Date() })),
      await measure(
        'findOne by _id (hit)',
        async () => {
          for (let i = 0; i < OPS; i++) ids.push(String((await byIdSeeded.create({ _id: doc(i).key, other: 'x', n: i, at: new Date() }))._id));
        },
        (i) => byIdSeeded.findOne({ _id: ids[i] }).lean(),
      ),
      await measure('findOne by _id + another field (hit)', async () => undefined, (i) => byIdSeeded.findOne({ _id: ids[i], other: 'x' }).lean()),
      await measure('updateOne upsert by _id (inserts)', async () => undefined, (i) => byId.updateOne({ _id: `u-${i}` }, { $set: { other: 'y', n: i, at: new Date() } }, { upsert: true })),
      await measure('updateOne upsert by _id (updates)', async () => undefined, (i) => byId.updateOne({ _id: `u-${i}` }, { $set: { other: 'z', n: i, at: new Date() } }, { upsert: true })),
      await measure('deleteOne by _id (hit)', async () => undefined, (i) => byIdSeeded.deleteOne({ _id: ids[i] })),
      await measure('updateOne upsert (inserts)', async () => undefined, (i) => unique.updateOne({ key: `u-${i}` }, { $set: { other: 'y', n: i, at: new Date() } }, { upsert: true })),
      await measure('updateOne upsert (updates)', async () => undefined, (i) => unique.updateOne({ key: `u-${i}` }, { $set: { other: 'z', n: i, at: new Date() } }, { upsert: true })),
      await measure('replaceOne upsert (updates)', async () => undefined, (i) => unique.replaceOne({ key: `u-${i}` }, { key: `u-${i}`, other: 'w', n: i, at: new Date() }, { upsert: true })),
    );
    process.stdout.write(
      [`FerretDB CPU and wall time per operation (${OPS} each, ${CONCURRENCY} at a time; collections hold up to ${OPS} documents):`, '', '| operation | FerretDB CPU | wall |', '|---|---|---|', ...rows, ''].join('\n'),
    );
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(2);
});
