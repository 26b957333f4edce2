import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { testServer } from '../helpers/test-server';

describe('health endpoint', () => {
  it('reports ok with a real database round trip', async () => {
    const res = await request(testServer().baseUrl).get('/health').expect(200);
    expect(res.body.status).to.equal('ok');
    expect(res.body.database).to.deep.equal({ state: 'connected', ping: 'ok' });
    expect(res.headers['content-type']).to.match(/json/);
  });

  it('runs against the database the suite started (FerretDB or TEST_MONGODB_URI)', async () => {
    const hello = await mongoose.connection.db!.admin().command({ hello: 1 });
    expect(hello.maxWireVersion).to.be.a('number');
  });

  it('answers unknown pages with a 404 page, not a stack trace', async () => {
    const res = await request(testServer().baseUrl).get('/no-such-page').set('Accept', 'text/html').expect(404);
    expect(res.text).to.include('This page does not exist.');
    expect(res.text).not.to.match(/at .*\.ts:\d+/);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await request(testServer().baseUrl)
      .post('/lti/scores')
      .set('Accept', 'application/json')
      .type('form')
      .send(`comment=${'x'.repeat(200 * 1024)}`);
    expect(res.status).to.equal(413);
  });

  it('sets security headers suitable for an LMS iframe', async () => {
    const res = await request(testServer().baseUrl).get('/health');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include('frame-ancestors');
    expect(res.headers['x-frame-options']).to.equal(undefined);
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });
});
