/**
 * Counts the database operations of one OIDC login and one launch (POST id_token + first page),
 * split by collection owner (ltijs's collections are also read by our guard through lti.getPlatform), with mongoose's debug hook (ltijs uses the
 * same mongoose); "(scan)" marks an operation the embedded FerretDB answers by scanning the whole collection
 * (any filter other than exactly { _id: <string> }). Warm: a first launch runs before the counted one (caches filled, indexes built).
 *
 *   npx mocha --no-config --require tsx/cjs --require test/helpers/root-hooks.ts bench/db-round-trips.ts
 */
import mongoose from 'mongoose';
import { createTestPlatform, expectAccepted, login, signFor, uniqueSub, validClaims, type TestPlatform } from '../test/lti-security/forge';

const LTIJS_COLLECTIONS = new Set(['platforms', 'platformstatuses', 'publickeys', 'privatekeys', 'accesstokens', 'nonces', 'states', 'idtokens', 'contexttokens']);

type Op = { collection: string; method: string; scan: boolean };

/** Inserts aside, FerretDB's SQLite backend answers only a filter that is exactly { _id: <string> } without a full collection scan. */
function scans(method: string, filter: unknown): boolean {
  if (/^insert/.test(method)) return false;
  if (!filter || typeof filter !== 'object') return true;
  const keys = Object.keys(filter);
  return !(keys.length === 1 && keys[0] === '_id' && typeof (filter as { _id: unknown })._id === 'string');
}

function record(): { ops: Op[]; stop(): void } {
  const ops: Op[] = [];
  mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
    ops.push({ collection, method, scan: scans(method, filter) });
  });
  return { ops, stop: () => mongoose.set('debug', false) };
}

function summary(label: string, ops: Op[]): void {
  const ours = ops.filter((o) => !LTIJS_COLLECTIONS.has(o.collection));
  const theirs = ops.filter((o) => LTIJS_COLLECTIONS.has(o.collection));
  const list = (xs: Op[]) => xs.map((o) => `${o.collection}.${o.method}${o.scan ? ' (scan)' : ''}`).join(', ') || '-';
  process.stdout.write(`${label}: ${ops.length} ops — on Fieldbook's collections ${ours.length} [${list(ours)}] · on ltijs's ${theirs.length} [${list(theirs)}]\n`);
}

describe('database round trips per login and launch (bench)', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
    const sub = uniqueSub();
    const warm = await login(platform);
    await expectAccepted(warm.agent, { id_token: await signFor(platform, validClaims(platform, warm.nonce, sub)), state: warm.state }, sub);
  });
  after(() => platform.close());

  it('counts', async () => {
    const sub = uniqueSub();
    let rec = record();
    const { agent, state, nonce } = await login(platform);
    rec.stop();
    summary('login', rec.ops);
    const idToken = await signFor(platform, validClaims(platform, nonce, sub));
    rec = record();
    const res = await agent.post('/lti/launch').type('form').send({ id_token: idToken, state });
    rec.stop();
    summary('launch POST', rec.ops);
    const next = new URL(res.headers.location as string, 'http://x');
    rec = record();
    await agent.get(next.pathname + next.search);
    rec.stop();
    summary('first page', rec.ops);
  });

  it('counts a launch whose login named no deployment', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform, { lti_deployment_id: undefined as unknown as string });
    const idToken = await signFor(platform, validClaims(platform, nonce, sub));
    const rec = record();
    const res = await agent.post('/lti/launch').type('form').send({ id_token: idToken, state });
    rec.stop();
    summary('launch POST (login without lti_deployment_id)', rec.ops);
    if (res.status !== 302) throw new Error(`launch refused: ${res.status} ${res.text}`);
  });
});
