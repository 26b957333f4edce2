import http from 'node:http';
import { startFieldbook } from './bootstrap';
import { startGradeSender } from './grading/grade-sender';
import { toolUrls } from './lti/provider';
import { ConfigError, loadConfig, type AppConfig } from './platform/config';
import { EmbeddedDatabaseError } from './platform/database/ferretdb-launcher';
import { createLogger } from './platform/logger';

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Fieldbook cannot start.\n${err.message}`);
      process.exit(78);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  const signalsBefore = new Set(process.listeners('SIGINT'));
  const fieldbook = await startFieldbook(config, logger);
  // ltijs installs its own SIGINT handler that exits at once; shutdown is ours.
  for (const listener of process.listeners('SIGINT')) if (!signalsBefore.has(listener)) process.off('SIGINT', listener);

  // Grades recorded in the outbox reach the LMS from here, with retries; several processes may run it.
  const gradeSender = startGradeSender({ logger });

  const server = http.createServer(fieldbook.app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    // A busy port or a HOST this machine does not have: say which setting to change, then exit.
    server.once('error', (err) => reject(new Error(`cannot listen on ${config.host}:${config.port} (HOST, PORT): ${err.message}`)));
    server.listen(config.port, config.host, resolve);
  });

  const urls = toolUrls(config);
  logger.info({ host: config.host, port: config.port, ...urls }, 'Fieldbook listening');
  const isLoopback = config.host === 'localhost' || config.host === '::1' || config.host.startsWith('127.');
  const banner = [
    '',
    `  Fieldbook is running at ${config.publicUrl}`,
    `  Listening on:       ${config.host}:${config.port}${isLoopback ? '  (this machine only; HOST=0.0.0.0 accepts other machines)' : ''}`,
    config.sandbox.enabled ? `  Sandbox LMS:        ${config.publicUrl}/sandbox  (launch as candidate, mentor, faculty, coordinator)` : '',
    `  LTI login URL:      ${urls.login}`,
    `  LTI launch URL:     ${urls.launch}`,
    `  JWKS URL:           ${urls.keys}`,
    `  Registration URL:   ${urls.register}`,
    `  Database:           ${fieldbook.database.isEmbedded ? `embedded FerretDB (data in ${config.dataDir})` : 'MONGODB_URI'}`,
    '',
  ].filter((l) => l !== '');
  process.stdout.write(`\n${banner.join('\n')}\n\n`);

  let isStopping = false;
  const shutdown = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    fieldbook.lifecycle.isShuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    // The sender's in-flight send finishes (or times out) while the database is still there.
    await gradeSender.stop();
    await fieldbook.database.stop();
    logger.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof EmbeddedDatabaseError) console.error(`Fieldbook cannot start.\n${err.message}`);
  else console.error('Fieldbook failed to start:', err);
  process.exit(1);
});
