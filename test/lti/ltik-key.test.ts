import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { installLtikKeyObject } from '../../src/lti/keys/ltik-key';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jwt = require('jsonwebtoken') as {
  sign: (payload: object, key: string, options?: object) => string;
  verify: (token: string, key: string) => Record<string, unknown>;
};

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

describe('ltik key: the ltik secret handed to jsonwebtoken as a KeyObject', () => {
  const secret = 'an-ltik-secret-of-the-tests-0123456789';
  before(() => installLtikKeyObject(secret));

  it('signs exactly as HS256 with the secret’s bytes, and verifies what such a token says', () => {
    const token = jwt.sign({ platformUrl: 'https://lms.example', iat: 1_800_000_000 }, secret, { noTimestamp: true });
    const [head, body, sig] = token.split('.');
    expect(JSON.parse(Buffer.from(head, 'base64url').toString())).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(sig).to.equal(b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest()));
    expect(jwt.verify(token, secret)).to.include({ platformUrl: 'https://lms.example' });
  });

  it('still refuses a token signed with another secret, or altered', () => {
    const forged = jwt.sign({ platformUrl: 'https://lms.example' }, 'another-secret');
    expect(() => jwt.verify(forged, secret)).to.throw(/invalid signature/);
    const token = jwt.sign({ platformUrl: 'https://lms.example' }, secret);
    const [head, , sig] = token.split('.');
    expect(() => jwt.verify(`${head}.${b64url(JSON.stringify({ platformUrl: 'https://evil.example' }))}.${sig}`, secret)).to.throw(/invalid signature/);
  });

  it('leaves other keys alone (a token signed with some other string is verified with that string)', () => {
    const token = jwt.sign({ a: 1 }, 'some-other-string');
    expect(jwt.verify(token, 'some-other-string')).to.include({ a: 1 });
  });
});
