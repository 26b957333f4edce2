import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startFieldbook, type Fieldbook } from '../../src/bootstrap';
import { loadConfig, type AppConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import type { Mailer } from '../../src/platform/mailer';

export interface TestServer {
  baseUrl: string;
  config: AppConfig;
  fieldbook: Fieldbook;
}

let current: (TestServer & { server: http.Server; dataDir: string }) | null = null;

/**
 * One real Fieldbook per test process: a real HTTP listener on loopback, a
 * throw-away embedded FerretDB (or TEST_MONGODB_URI), the Sandbox LMS
 * registered with the tool. ltijs allows one setup per process, so tests
 * share it and each test creates its own data.
 */
export async function startTestServer(): Promise<TestServer> {
  if (current) return current;
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-test-'));
  const config = loadConfig({
    env: { ...process.env, NODE_ENV: 'test' },
    overrides: {
      publicUrl: `http://127.0.0.1:${port}`,
      port,
      dataDir,
      mongodbUri: process.env.TEST_MONGODB_URI || null,
      logLevel: process.env.TEST_LOG_LEVEL || 'warn',
      // The browser test opens the Sandbox on http://localhost:PORT so that the tool (127.0.0.1) is a
      // third-party iframe; that origin must be allowed to frame /lti pages.
      lti: { frameAncestors: [`http://localhost:${port}`] },
    },
  });
  const logger = createLogger(config);
  const fieldbook = await startFieldbook(config, logger);
  server.on('request', fieldbook.app);
  current = { baseUrl: config.publicUrl, config, fieldbook, server, dataDir };
  return current;
}

export function testServer(): TestServer {
  if (!current) throw new Error('The test server is not running: tests must run through mocha with .mocharc.json (root hooks).');
  return current;
}

/**
 * Sends the shared server's mail through `mailer` (e.g. createMailer pointed at startSmtpSink)
 * until called again with null, which restores the Sandbox outbox. Restore it in `after`.
 */
export function useTestMailer(mailer: Mailer | null): void {
  testServer().fieldbook.mailer.swap(mailer);
}

export async function stopTestServer(): Promise<void> {
  if (!current) return;
  const { server, fieldbook, dataDir } = current;
  current = null;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fieldbook.database.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
