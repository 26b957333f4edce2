import { CookieJar } from './cookies';
import { learnerClaims, type BenchPlatform } from './platform';
import { summarize, type LatencySummary } from './stats';

/**
 * The launch round trip a browser makes for one user, with manual cookie handling:
 * GET login (302 + state, nonce, state cookie) → sign id_token → POST launch with the
 * cookie (302 with the ltik) → GET the redirect (the tool's first page, 200).
 */
export interface Tool {
  name: string;
  baseUrl: string;
  loginUrl: string;
  launchUrl: string;
  /** Checked on the first page (a substring it must contain). */
  expectText: string;
}

export interface LaunchRunResult {
  tool: string;
  launches: number;
  concurrency: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  launchesPerSecond: number;
  latency: LatencySummary;
  /** Time of each step, for the successful launches. */
  steps: { login: LatencySummary; sign: LatencySummary; post: LatencySummary; page: LatencySummary };
}

class LaunchError extends Error {}

/**
 * A failed response in one line: JSON as it is, an HTML error page as its title and the error
 * code / reference it shows (the reference finds the matching line in the tool's log).
 */
export function describeBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed.startsWith('<')) return trimmed.slice(0, 300);
  const title = /<title>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
  const codes = [...trimmed.matchAll(/<code>([^<]*)<\/code>\s*(?:\(([^)]*)\))?/gi)].map((m) => (m[2] ? `${m[1]} (${m[2]})` : m[1]));
  const text = trimmed.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return [title, codes.length ? `code ${codes.join(', ')}` : text.slice(0, 200)].filter(Boolean).join(' — ');
}

async function readText(res: Response): Promise<string> {
  return res.text();
}

async function oneLaunch(tool: Tool, platform: BenchPlatform, user: number): Promise<{ total: number; login: number; sign: number; post: number; page: number }> {
  const jar = new CookieJar();
  const t0 = performance.now();
  const loginQuery = new URLSearchParams({
    iss: platform.issuer,
    client_id: platform.clientId,
    login_hint: `hint-${user}`,
    target_link_uri: tool.launchUrl,
    lti_deployment_id: platform.deploymentId,
  });
  const login = await fetch(`${tool.loginUrl}?${loginQuery}`, { redirect: 'manual' });
  const loginBody = await readText(login);
  jar.take(login);
  const location = login.headers.get('location');
  if (login.status !== 302 || !location) throw new LaunchError(`login answered ${login.status}: ${describeBody(loginBody)}`);
  const auth = new URL(location);
  const state = auth.searchParams.get('state');
  const nonce = auth.searchParams.get('nonce');
  if (!state || !nonce) throw new LaunchError(`login redirect without state/nonce: ${location.slice(0, 200)}`);
  if (jar.size === 0) throw new LaunchError('login set no state cookie');
  const t1 = performance.now();

  const idToken = await platform.sign(learnerClaims(platform, nonce, tool.launchUrl, user));
  const t2 = performance.now();

  const posted = await fetch(tool.launchUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ id_token: idToken, state }).toString(),
  });
  const postedBody = await readText(posted);
  jar.take(posted);
  const next = posted.headers.get('location');
  if (posted.status !== 302 || !next || !/[?&]ltik=/.test(next)) throw new LaunchError(`launch POST answered ${posted.status}: ${describeBody(postedBody)}`);
  const t3 = performance.now();

  const page = await fetch(new URL(next, tool.launchUrl), { redirect: 'manual', headers: { cookie: jar.header() } });
  const pageBody = await readText(page);
  if (page.status !== 200) throw new LaunchError(`first page answered ${page.status}: ${describeBody(pageBody)}`);
  if (!pageBody.includes(tool.expectText)) throw new LaunchError(`first page lacks "${tool.expectText}": ${describeBody(pageBody)}`);
  const t4 = performance.now();
  return { total: t4 - t0, login: t1 - t0, sign: t2 - t1, post: t3 - t2, page: t4 - t3 };
}

/**
 * `concurrency` simulated users run at once; each does launches/concurrency round trips
 * back to back (each a fresh browser: new cookie jar, new login).
 */
export async function runLaunches(tool: Tool, platform: BenchPlatform, options: { launches: number; concurrency: number; userOffset?: number }): Promise<LaunchRunResult> {
  const totals: number[] = [];
  const steps = { login: [] as number[], sign: [] as number[], post: [] as number[], page: [] as number[] };
  const errorSamples: string[] = [];
  let errors = 0;
  let nextIndex = 0;
  const offset = options.userOffset ?? 0;
  const worker = async () => {
    while (nextIndex < options.launches) {
      const i = nextIndex++;
      try {
        const r = await oneLaunch(tool, platform, offset + i);
        totals.push(r.total);
        steps.login.push(r.login);
        steps.sign.push(r.sign);
        steps.post.push(r.post);
        steps.page.push(r.page);
      } catch (err) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push((err as Error).message);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.launches) }, worker));
  const wallMs = performance.now() - started;
  return {
    tool: tool.name,
    launches: options.launches,
    concurrency: options.concurrency,
    ok: totals.length,
    errors,
    errorSamples,
    wallMs,
    launchesPerSecond: totals.length / (wallMs / 1000),
    latency: summarize(totals),
    steps: { login: summarize(steps.login), sign: summarize(steps.sign), post: summarize(steps.post), page: summarize(steps.page) },
  };
}
