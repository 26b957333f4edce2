import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { EmbeddedDatabaseError, ensureLauncherBuilt, startEmbeddedFerretDb } from '../../src/platform/database/ferretdb-launcher';
import { createLogger } from '../../src/platform/logger';

const logger = createLogger({ logLevel: 'silent', env: 'test' });

describe('embedded database', function () {
  this.timeout(60_000);

  it('says exactly what to do when Go is missing', async () => {
    const missing = path.join(os.tmpdir(), `no-launcher-${process.pid}`);
    const err = await ensureLauncherBuilt(logger, { binary: missing, env: { PATH: '/nonexistent' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EmbeddedDatabaseError);
    const message = (err as Error).message;
    expect(message).to.include('install Go');
    expect(message).to.include('MONGODB_URI=');
    expect(message).to.include('docker compose up');
    expect(fs.existsSync(missing)).to.equal(false);
  });

  it('keeps data across a restart of the embedded server', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-fdb-'));
    const conn = async (uri: string) => mongoose.createConnection(`${uri.replace(/\/$/, '')}/persist`).asPromise();
    try {
      const first = await startEmbeddedFerretDb({ dataDir, logger });
      const c1 = await conn(first.uri);
      await c1.collection('notes').insertOne({ text: 'still here' });
      await c1.close();
      await first.stop();

      const second = await startEmbeddedFerretDb({ dataDir, logger });
      const c2 = await conn(second.uri);
      const found = await c2.collection('notes').findOne({ text: 'still here' });
      await c2.close();
      await second.stop();
      expect(found?.text).to.equal('still here');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers an _id lookup or an _id $in batch from the unique _id index (the patched build), not by scanning the table', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-fdb-'));
    const db = await startEmbeddedFerretDb({ dataDir, logger });
    const c = await mongoose.createConnection(`${db.uri.replace(/\/$/, '')}/plans`).asPromise();
    try {
      await c.collection<{ _id: string; n: number }>('things').insertMany(Array.from({ length: 20 }, (_, n) => ({ _id: `id-${n}`, n })));
      // FerretDB's explain runs SQLite's EXPLAIN QUERY PLAN on the statement it would run.
      const plan = async (filter: object) => JSON.stringify(await c.db.command({ explain: { find: 'things', filter }, verbosity: 'queryPlanner' }));
      expect(await plan({ _id: 'id-3' })).to.match(/SEARCH things_\w+ USING INDEX things_\w+__id_/);
      expect(await plan({ n: 3 })).to.match(/SCAN things_/);
      // An _id equality beside other keys (a compare-and-set) reads the one row too…
      expect(await plan({ _id: 'id-3', n: 3 })).to.match(/SEARCH things_\w+ USING INDEX things_\w+__id_/);
      // …and so does a batch by `_id: {$in}` (of strings or ObjectIds), with or without other keys.
      expect(await plan({ _id: { $in: ['id-3', 'id-9'] } })).to.match(/SEARCH things_\w+ USING INDEX things_\w+__id_/);
      expect(await plan({ _id: { $in: ['id-3', 'id-9'] }, n: 3 })).to.match(/SEARCH things_\w+ USING INDEX things_\w+__id_/);
      // Anything else in `_id` is left to the full filter (a scan), as upstream does.
      expect(await plan({ _id: { $in: [] } })).to.match(/SCAN things_/);
      expect(await plan({ _id: { $in: ['id-3', 7] } })).to.match(/SCAN things_/);
      expect(await plan({ _id: { $gt: 'id-3' } })).to.match(/SCAN things_/);
      expect(await plan({ _id: { $in: ['id-3'], $ne: 'id-3' } })).to.match(/SCAN things_/);
      const batch = c.collection<{ _id: string; n: number }>('things');
      expect((await batch.find({ _id: { $in: ['id-3', 'id-9', 'missing'] } }).sort({ n: 1 }).toArray()).map((d) => d.n)).to.deep.equal([3, 9]);
      expect((await batch.find({ _id: { $in: ['id-3', 'id-9'] }, n: 9 }).toArray()).map((d) => d.n)).to.deep.equal([9]);
      expect(await batch.countDocuments({ _id: { $in: [] } })).to.equal(0);
      // The same expression drives updates and deletes by _id: they find the right document.
      await c.collection('things').updateOne({ _id: 'id-3' } as object, { $set: { n: 33 } });
      await c.collection('things').deleteOne({ _id: 'id-4' } as object);
      expect((await c.collection('things').findOne({ _id: 'id-3' } as object))?.n).to.equal(33);
      expect(await c.collection('things').countDocuments({})).to.equal(19);
      // …and the rest of the filter still decides: a compare-and-set whose condition fails changes nothing.
      const things = c.collection<{ _id: string; n: number }>('things');
      expect((await things.updateOne({ _id: 'id-3', n: 3 }, { $set: { n: 0 } })).modifiedCount).to.equal(0);
      expect((await things.updateOne({ _id: 'id-3', n: 33 }, { $set: { n: 34 } })).modifiedCount).to.equal(1);
      expect((await things.deleteOne({ _id: 'id-5', n: 6 })).deletedCount).to.equal(0);
      expect((await things.deleteOne({ _id: 'id-5', n: 5 })).deletedCount).to.equal(1);
      expect(await things.findOne({ _id: 'id-6', n: { $gt: 6 } })).to.equal(null);
      expect((await things.findOne({ _id: 'id-6', n: { $lte: 6 } }))?.n).to.equal(6);
      expect(await things.countDocuments({ _id: 'id-7', n: 7 })).to.equal(1);
      expect(await things.countDocuments({})).to.equal(18);
      // A batch delete and update by `_id: {$in}` touch exactly the rows named (and the rest of the filter decides).
      expect((await things.updateMany({ _id: { $in: ['id-10', 'id-11', 'id-12'] }, n: { $lt: 12 } }, { $set: { n: 100 } })).modifiedCount).to.equal(2);
      expect((await things.deleteMany({ _id: { $in: ['id-10', 'id-11', 'id-12', 'id-99'] } })).deletedCount).to.equal(3);
      expect(await things.countDocuments({})).to.equal(15);
      expect(await things.countDocuments({ n: 100 })).to.equal(0);
    } finally {
      await c.close();
      await db.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
