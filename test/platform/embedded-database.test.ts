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
});
