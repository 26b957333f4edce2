import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { rateLimit } from '../../src/lti/guard/rate-limit';
import { createErrorHandler } from '../../src/platform/error-handler';
import { createLogger } from '../../src/platform/logger';
import { RateLimitBlockModel } from '../../src/platform/rate-limit-block.model';
import { SharedRateLimiter, WINDOW_MS } from '../../src/platform/shared-rate-limit';
import { testServer } from '../helpers/test-server';

/** Each test its own limiter name: tests share the database and run in any order. */
const uniqueName = () => `test-${randomBytes(6).toString('hex')}`;
/** The middle of a window, so a test never straddles a window edge. */
const midWindow = () => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + WINDOW_MS / 2;

describe('rate limits shared by instances through the database', function () {
  this.timeout(30_000);

  it('two instances on one database admit the limit once between them, not twice', async () => {
    const name = uniqueName();
    const a = new SharedRateLimiter({ name, perWindow: 30 });
    const b = new SharedRateLimiter({ name, perWindow: 30 });
    const now = midWindow();
    let admitted = 0;
    // Both instances hammer the same client concurrently until both refuse.
    for (let round = 0; round < 40; round++) {
      const answers = await Promise.all([a.take('10.0.0.1', now), b.take('10.0.0.1', now), a.take('10.0.0.1', now), b.take('10.0.0.1', now)]);
      admitted += answers.filter(Boolean).length;
    }
    expect(admitted).to.equal(30);
    expect(await a.take('10.0.0.2', now), 'another client has its own limit').to.equal(true);
    expect(await b.take('10.0.0.1', now + WINDOW_MS), 'the next window starts afresh').to.equal(true);
  });

  it('costs one insert per block, not per request', async () => {
    const name = uniqueName();
    const limiter = new SharedRateLimiter({ name, perWindow: 600 });
    const now = midWindow();
    for (let i = 0; i < 100; i++) expect(await limiter.take('10.0.0.9', now)).to.equal(true);
    const blocks = await RateLimitBlockModel.countDocuments({ _id: { $regex: `^${name}:` } });
    expect(limiter.blockSize).to.equal(30);
    expect(blocks).to.equal(Math.ceil(100 / 30));
  });

  it('an instance that saw no request refuses only after the database shows the window full', async () => {
    const name = uniqueName();
    const busy = new SharedRateLimiter({ name, perWindow: 5 });
    const now = midWindow();
    for (let i = 0; i < 5; i++) expect(await busy.take('10.0.0.3', now)).to.equal(true);
    const fresh = new SharedRateLimiter({ name, perWindow: 5 });
    expect(await fresh.take('10.0.0.3', now)).to.equal(false);
    expect(await RateLimitBlockModel.countDocuments({ _id: { $regex: `^${name}:` } })).to.equal(5);
  });

  it('a limiter sweeps only its own ended blocks, never those another limiter is still counting', async () => {
    const names = { counting: uniqueName(), sweeping: uniqueName() };
    const counting = new SharedRateLimiter({ name: names.counting, perWindow: 600 });
    const sweeping = new SharedRateLimiter({ name: names.sweeping, perWindow: 600 });
    const now = midWindow();
    expect(await counting.take('10.0.0.7', now)).to.equal(true);
    expect(await sweeping.take('10.0.0.7', now)).to.equal(true);
    // Ten windows later the sweeping limiter's first block sweeps (its first sweep was at `now`, but five minutes passed by its clock).
    expect(await sweeping.take('10.0.0.7', now + 10 * WINDOW_MS)).to.equal(true);
    const blocksOf = (name: string) => RateLimitBlockModel.countDocuments({ _id: { $regex: `^${name}:` } });
    const deadline = Date.now() + 5_000;
    while ((await blocksOf(names.sweeping)) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await blocksOf(names.sweeping), 'its own ended block is swept, its current one kept').to.equal(1);
    expect(await blocksOf(names.counting), "the other limiter's block of the same (by that clock ended) window is kept").to.equal(1);
  });

  it('two apps (as two instances) behind one address: the limit holds across both, refusals are 429 with Retry-After', async () => {
    const { config } = testServer();
    const logger = createLogger({ ...config, logLevel: 'silent' });
    const name = uniqueName();
    const buildApp = () => {
      const app = express();
      app.get('/hit', rateLimit(name, 10, { logger }), (_req, res) => res.send('ok'));
      app.use(createErrorHandler(logger, false));
      return app;
    };
    const apps = [buildApp(), buildApp()];
    // Stay inside one window: wait out the last seconds of the current one.
    const left = WINDOW_MS - (Date.now() % WINDOW_MS);
    if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push(await request(apps[i % 2]).get('/hit').set('Accept', 'application/json'));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).to.have.lengthOf(10);
    expect(statuses.slice(10)).to.deep.equal([429, 429, 429, 429]);
    const refused = answers[13];
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(refused.text).to.include('lti_rate_limited');
  });

  it('0 turns a limit off', async () => {
    const app = express();
    app.get('/hit', rateLimit(uniqueName(), 0), (_req, res) => res.send('ok'));
    for (let i = 0; i < 5; i++) await request(app).get('/hit').expect(200);
  });
});
