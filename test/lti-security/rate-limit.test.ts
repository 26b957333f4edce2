import { expect } from 'chai';
import { TokenBuckets } from '../../src/lti/guard/rate-limit';

describe('LTI guard rate limit (in-memory token bucket)', () => {
  it('allows a burst up to capacity, then refuses until tokens refill', () => {
    const buckets = new TokenBuckets(3, 1);
    const t = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('10.0.0.1', t))).to.deep.equal([true, true, true]);
    expect(buckets.take('10.0.0.1', t)).to.equal(false);
    expect(buckets.take('10.0.0.2', t), 'other clients keep their own bucket').to.equal(true);
    expect(buckets.take('10.0.0.1', t + 999)).to.equal(false);
    expect(buckets.take('10.0.0.1', t + 2_000)).to.equal(true);
  });

  it('forgets idle clients once it holds too many', () => {
    const buckets = new TokenBuckets(2, 1, 2);
    buckets.take('a', 0);
    buckets.take('b', 0);
    buckets.take('c', 10_000);
    expect((buckets as unknown as { buckets: Map<string, unknown> }).buckets.size).to.be.at.most(2);
  });
});
