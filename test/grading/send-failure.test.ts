import { expect } from 'chai';
import { classifySendFailure, PlatformAnswerError, PlatformUnusableError, scoresUrl, SendTimeoutError } from '../../src/grading/ags-score.client';
import { backoffMs } from '../../src/grading/grade-sender';

describe('grade sender: reading platform answers', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');

  it('retries what the platform may take later: 5xx, 429 with Retry-After (seconds or date), timeouts, network errors', () => {
    expect(classifySendFailure(new PlatformAnswerError(503, '{"errors":{"type":"service_unavailable","message":"down"}}', null), now)).to.deep.equal({ kind: 'retry', reason: 'The LMS answered 503: down' });
    expect(classifySendFailure(new PlatformAnswerError(429, '', '12'), now)).to.include({ kind: 'retry', retryAfterMs: 12_000 });
    expect(classifySendFailure(new PlatformAnswerError(429, '', 'Wed, 25 Nov 2026 12:01:00 GMT'), now)).to.include({ kind: 'retry', retryAfterMs: 60_000 });
    expect(classifySendFailure(new SendTimeoutError(10_000), now)).to.deep.equal({ kind: 'retry', reason: 'The LMS did not answer within 10 s' });
    expect(classifySendFailure(new TypeError('fetch failed'), now)).to.deep.equal({ kind: 'retry', reason: 'The LMS could not be reached (fetch failed)' });
    // ltijs's token request throws got HTTPErrors.
    expect(classifySendFailure({ response: { statusCode: 502, body: '<html><h1>Bad gateway</h1></html>', headers: {} } }, now)).to.deep.equal({ kind: 'retry', reason: 'The LMS answered 502: Bad gateway' });
  });

  it('refuses for good on 4xx about the score (Canvas 422, Moodle 400), with the platform words', () => {
    expect(classifySendFailure(new PlatformAnswerError(422, '{"errors":[{"message":"User not found in course or is not a student"}]}', null), now)).to.deep.equal({
      kind: 'refused',
      reason: 'The LMS answered 422: User not found in course or is not a student',
      status: 422,
    });
    expect(classifySendFailure(new PlatformAnswerError(400, '{"message":"Incorrect user","errorcode":"invaliduser"}', null), now)).to.include({ kind: 'refused', status: 400 });
    expect(classifySendFailure(new PlatformUnusableError('This LMS registration is not active.'), now)).to.deep.equal({ kind: 'refused', reason: 'This LMS registration is not active.' });
  });

  it('recognises a stale-timestamp refusal (Canvas 400, Moodle 409) so the sender re-stamps once', () => {
    expect(classifySendFailure(new PlatformAnswerError(400, '{"errors":{"type":"bad_request","message":"score timestamp not valid"}}', null), now)).to.include({ kind: 'stale-timestamp' });
    expect(classifySendFailure(new PlatformAnswerError(409, 'Timestamp is older than the last one', null), now)).to.include({ kind: 'stale-timestamp', status: 409 });
  });

  it('backs off 30 s · 2^(attempt−1) with ±20 % jitter, capped at an hour; keeps Moodle query strings on the scores URL', () => {
    expect(backoffMs(1, () => 0.5)).to.equal(30_000);
    expect(backoffMs(3, () => 0.5)).to.equal(120_000);
    expect(backoffMs(20, () => 0.5)).to.equal(3_600_000);
    expect(backoffMs(1, () => 0)).to.equal(24_000);
    expect(backoffMs(1, () => 1)).to.equal(36_000);
    expect(scoresUrl('https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3')).to.equal('https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=3');
    expect(scoresUrl('https://canvas.example.edu/api/lti/courses/1/line_items/9')).to.equal('https://canvas.example.edu/api/lti/courses/1/line_items/9/scores');
  });
});
