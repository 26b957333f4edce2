/**
 * The baseline: a minimal ltijs 5.9.9 tool with nothing of Fieldbook in front of it.
 * ltijs runs its own express server (lti.deploy({ port })), onConnect answers "hello",
 * and it stores its data in its own embedded FerretDB (same kind as Fieldbook's).
 *
 * Env: PORT, DATA_DIR, BENCH_PLATFORM (JSON: issuer, clientId, authEndpoint, tokenEndpoint, jwksUrl).
 * Prints "BARE_LTIJS_READY" once the platform is registered. SIGTERM stops it cleanly.
 */
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedFerretDb } from '../src/platform/database/ferretdb-launcher';

interface BareProvider {
  setup(key: string, db: { url: string }, options: Record<string, unknown>): BareProvider;
  deploy(options: { port: number; silent?: boolean }): Promise<true>;
  close(options?: { silent?: boolean }): Promise<true>;
  onConnect(handler: (token: unknown, req: unknown, res: { send(body: string): void }) => unknown): true;
  registerPlatform(platform: Record<string, unknown>): Promise<unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lti = (require('ltijs') as { Provider: BareProvider }).Provider;

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const dataDir = process.env.DATA_DIR;
  const platform = JSON.parse(process.env.BENCH_PLATFORM ?? 'null') as { issuer: string; clientId: string; authEndpoint: string; tokenEndpoint: string; jwksUrl: string } | null;
  if (!port || !dataDir || !platform) throw new Error('PORT, DATA_DIR and BENCH_PLATFORM are required');

  const logger = pino({ level: 'warn' });
  const db = await startEmbeddedFerretDb({ dataDir: path.join(dataDir, 'ferretdb'), logger });
  lti.setup(
    'bench-only-encryption-key-0123456789abcdef',
    { url: `${db.uri.replace(/\/$/, '')}/bare_ltijs` },
    // Same cookie and token-age settings as Fieldbook's development config, so the comparison is like for like.
    { appRoute: '/', loginRoute: '/login', keysetRoute: '/keys', devMode: false, tokenMaxAge: 60, cookies: { secure: false, sameSite: 'Lax' } },
  );
  lti.onConnect((_token, _req, res) => res.send('hello'));
  await lti.deploy({ port, silent: true });
  await lti.registerPlatform({
    url: platform.issuer,
    name: 'Bench platform',
    clientId: platform.clientId,
    authenticationEndpoint: platform.authEndpoint,
    accesstokenEndpoint: platform.tokenEndpoint,
    authConfig: { method: 'JWK_SET', key: platform.jwksUrl },
  });
  process.stdout.write('BARE_LTIJS_READY\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await lti.close({ silent: true }).catch(() => undefined);
    await db.stop().catch(() => undefined);
    process.exit(0);
  };
  // ltijs installs a SIGINT handler of its own; ours stops the database too.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error('bare-ltijs failed:', err);
  process.exit(1);
});
