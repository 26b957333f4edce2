import { expect } from 'chai';
import request from 'supertest';
import { testServer } from '../helpers/test-server';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('What the tool sends: our JWKS', () => {
  it('publishes RSA public keys with kids and no private members', async () => {
    const res = await request(testServer().baseUrl).get('/lti/keys');
    expect(res.status).to.equal(200);
    expect(res.body.keys).to.be.an('array');
    expect(res.body.keys.length).to.be.greaterThan(0);
    for (const key of res.body.keys as Array<Record<string, unknown>>) {
      expect(key.kty).to.equal('RSA');
      expect(key.kid).to.be.a('string');
      expect(String(key.kid).length).to.be.greaterThan(0);
      expect(key).to.include.keys('n', 'e');
      for (const member of PRIVATE_MEMBERS) expect(key, `member ${member}`).not.to.have.property(member);
    }
  });
});
