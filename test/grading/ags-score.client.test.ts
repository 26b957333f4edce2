import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifySendFailure, PlatformAnswerError, postScore } from '../../src/grading/ags-score.client';
import { getSandboxTokenStats, sandboxIdentity } from '../../src/sandbox';
import { testServer } from '../helpers/test-server';

/** A scores endpoint that takes scores until `refuseTokens`, then answers 401 to every token; records the Authorization headers. */
async function scoresEndpoint(): Promise<{ url: string; seen: string[]; refuseTokens(): void; close(): Promise<void> }> {
  const seen: string[] = [];
  let isRefusing = false;
  const server = http.createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    req.resume();
    if (!isRefusing) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    res.end('{"errors":[{"message":"Invalid access token"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/lti/courses/1/line_items/9`,
    seen,
    refuseTokens: () => {
      isRefusing = true;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('AGS score client: a 401 from the LMS', () => {
  it('retries exactly once with a freshly requested token; a second 401 is left to the outbox as retry-later', async () => {
    const endpoint = await scoresEndpoint();
    try {
      const id = sandboxIdentity(testServer().config);
      const target = { iss: id.issuer, clientId: id.clientId, lineItemUrl: endpoint.url };
      const score = { userId: 'someone', scoreGiven: 1, scoreMaximum: 2, activityProgress: 'Completed', gradingProgress: 'FullyGraded' } as const;
      await postScore(target, { ...score }, 10_000);
      endpoint.refuseTokens();
      endpoint.seen.length = 0;
      const tokensBefore = await getSandboxTokenStats();
      const err = await postScore(target, { ...score }, 10_000).then(
        () => null,
        (e: unknown) => e,
      );
      const tokensAfter = await getSandboxTokenStats();

      expect(err).to.be.instanceOf(PlatformAnswerError);
      expect((err as PlatformAnswerError).status).to.equal(401);
      expect(endpoint.seen, 'the score is POSTed twice, no more').to.have.length(2);
      expect(endpoint.seen[1], 'the second POST carries another token').not.to.equal(endpoint.seen[0]);
      expect(tokensAfter.tokenRequests - tokensBefore.tokenRequests, 'one token requested for the retry').to.equal(1);
      expect(classifySendFailure(err)).to.deep.equal({ kind: 'retry', reason: 'The LMS answered 401: Invalid access token' });
    } finally {
      await endpoint.close();
    }
  });
});
