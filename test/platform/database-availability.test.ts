import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { isDatabaseAvailable, markDatabaseDown, markDatabaseUp } from '../../src/platform/database/availability';
import { startEmbeddedFerretDb } from '../../src/platform/database/ferretdb-launcher';
import { refuseWhileDatabaseDown } from '../../src/platform/database-unavailable';
import { createErrorHandler } from '../../src/platform/error-handler';
import { createLogger } from '../../src/platform/logger';
import { installViews } from '../../src/platform/views';
import { DatabaseDownError, isDatabaseConnectionError, retryInBackground, withTransientRetry } from '../../src/platform/transient';
import { accepts } from '../helpers/server-process';

const logger = createLogger({ logLevel: 'silent', env: 'test' });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A mongo driver error as the driver names it (the classes are not exported in a stable place). */
function driverError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** The 'process' source stands in for a dead embedded FerretDB; always marked up again. */
async function whileDown<T>(work: () => Promise<T>): Promise<T> {
  markDatabaseDown('process', { test: true });
  try {
    return await work();
  } finally {
    markDatabaseUp('process');
  }
}

describe('database availability: quick 503s instead of hangs', function () {
  this.timeout(30_000);

  it('tells a lost database from a busy one and from an LMS that refuses a connection', () => {
    expect(isDatabaseConnectionError(driverError('MongoServerSelectionError', 'Server selection timed out after 1500 ms'))).to.equal(true);
    expect(isDatabaseConnectionError(driverError('MongoNetworkError', 'connection 4 to 127.0.0.1:4000 closed'))).to.equal(true);
    expect(isDatabaseConnectionError(driverError('MongooseError', 'Operation `entries.findOne()` buffering timed out after 1000ms'))).to.equal(true);
    expect(isDatabaseConnectionError(new DatabaseDownError())).to.equal(true);
    expect(isDatabaseConnectionError(driverError('MongoServerError', 'SQLITE_BUSY: database is locked'))).to.equal(false);
    // ltijs's HTTP client failing to reach an LMS is not our database.
    expect(isDatabaseConnectionError(driverError('RequestError', 'connect ECONNREFUSED 127.0.0.1:9'))).to.equal(false);
  });

  it('withTransientRetry gives up at once while the database is known to be down, and retries once it is back', async () => {
    let calls = 0;
    const started = Date.now();
    const err = await whileDown(() =>
      withTransientRetry(async () => {
        calls += 1;
        throw driverError('MongoNetworkError', 'connection closed');
      }).catch((e: unknown) => e),
    );
    expect(err).to.be.instanceOf(DatabaseDownError);
    expect(calls, 'not even tried').to.equal(0);
    expect(Date.now() - started).to.be.below(100);
    expect(isDatabaseAvailable()).to.equal(true);

    let failures = 1;
    const value = await withTransientRetry(async () => {
      if (failures-- > 0) throw driverError('MongoNetworkError', 'connection closed');
      return 'done';
    });
    expect(value).to.equal('done');
  });

  it('retryInBackground runs a failed clean-up again as soon as the database is back', async () => {
    let runs = 0;
    markDatabaseDown('process', { test: true });
    try {
      retryInBackground(async () => {
        runs += 1;
        if (runs === 1) throw driverError('MongoNetworkError', 'connection closed');
      });
      await pause(50);
      expect(runs).to.equal(1);
    } finally {
      markDatabaseUp('process');
    }
    await pause(20);
    expect(runs).to.equal(2);
  });

  it('answers 503 with Retry-After: refused up front ("nothing saved"), or lost mid-request ("may not have been saved"); HTML or JSON', async () => {
    const app = express();
    installViews(app, { cache: false });
    app.use(refuseWhileDatabaseDown);
    app.get('/page', () => {
      throw driverError('MongoServerSelectionError', 'Server selection timed out after 1500 ms');
    });
    app.use(createErrorHandler(logger, true));

    const lost = await request(app).get('/page').set('Accept', 'text/html');
    expect(lost.status).to.equal(503);
    expect(lost.headers['retry-after']).to.equal('10');
    expect(lost.text).to.include('Your last change may not have been saved');
    expect(lost.text).to.not.include('Server selection');

    await whileDown(async () => {
      const page = await request(app).get('/page').set('Accept', 'text/html');
      expect(page.status).to.equal(503);
      expect(page.headers['retry-after']).to.equal('10');
      expect(page.text).to.include('Fieldbook is reconnecting to its database. Nothing you sent was saved; please try again in a minute.');
      const api = await request(app).get('/page').set('Accept', 'application/json');
      expect(api.status).to.equal(503);
      expect(api.body).to.include({ error: 'database_unavailable' });
    });
  });

  it('the supervisor restarts a killed FerretDB on the same port, but not after our own stop', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-sup-'));
    const events: string[] = [];
    const db = await startEmbeddedFerretDb({ dataDir, logger, supervise: { onExit: () => events.push('exit'), onRestarted: () => events.push('restarted') } });
    try {
      const port = Number(new URL(db.uri).port);
      const first = db.pid()!;
      process.kill(first, 'SIGKILL');
      const deadline = Date.now() + 15_000;
      while (!events.includes('restarted') && Date.now() < deadline) await pause(50);
      expect(events).to.deep.equal(['exit', 'restarted']);
      expect(db.pid()).to.be.a('number').and.not.equal(first);
      expect(await accepts('127.0.0.1', port)).to.equal(true);

      await db.stop();
      await pause(700);
      expect(events, 'our own stop is not an outage').to.deep.equal(['exit', 'restarted']);
      expect(await accepts('127.0.0.1', port)).to.equal(false);
    } finally {
      await db.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
