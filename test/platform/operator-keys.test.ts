import { expect } from 'chai';
import request from 'supertest';
import { findOperatorKey } from '../../src/platform/operator-keys';
import { testServer } from '../helpers/test-server';

describe('operator-key wall', () => {
  it('finds $-keys at any depth and ignores dotted LTI claim keys', () => {
    expect(findOperatorKey({ a: { b: [{ $where: '1' }] } })).to.equal('$where');
    expect(findOperatorKey({ 'https://purl.imsglobal.org/spec/lti/claim/custom': { x: 1 } })).to.equal(null);
    expect(findOperatorKey('plain')).to.equal(null);
  });

  it('refuses a JSON body with an operator object before any route runs (400), on any path', async () => {
    const res = await request(testServer().baseUrl)
      .post('/lti/scores')
      .set('Accept', 'application/json')
      .send({ ltik: 'x', userId: { $gt: '' }, scoreGiven: 1 });
    expect(res.status).to.equal(400);
    expect(res.body.error).to.equal('operator_key_refused');
    const sandbox = await request(testServer().baseUrl).post('/sandbox/token').set('Accept', 'application/json').send({ grant_type: { $ne: null } });
    expect(sandbox.status).to.equal(400);
  });

  it('refuses operator keys in the query string (extended qs parsing of [$ne])', async () => {
    const res = await request(testServer().baseUrl).get('/lti/practicum?status[$ne]=draft').set('Accept', 'application/json');
    expect(res.status).to.equal(400);
    expect(res.body.error).to.equal('operator_key_refused');
  });
});
