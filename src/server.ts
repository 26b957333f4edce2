import { startFieldbook } from './bootstrap';
import { startGradeSender } from './grading/grade-sender';
import { allJobs } from './jobs/jobs';
import { startScheduler } from './jobs/scheduler';
import { toolUrls } from './lti/provider';
import { ConfigError, loadConfig, type AppConfig } from './platform/config';
import { EmbeddedDatabaseError } from './platform/database/ferretdb-launcher';
import { createShutdown } from './platform/graceful-shutdown';
import { createDrainableServer } from './platform/http-drain';
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
  // A promise some library forgot to handle must not take every request in flight down with it
  // (Node's default is to exit); it is logged, with its stack, and the process keeps serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const signalsBefore = new Set(process.listeners('SIGINT'));
  const fieldbook = await startFieldbook(config, logger);
  // ltijs installs its own SIGINT handler that exits at once; shutdown is ours.
  for (const listener of process.listeners('SIGINT')) if (!signalsBefore.has(listener)) process.off('SIGINT', listener);

  // Grades recorded in the outbox reach the LMS from here, with retries; several processes may run it.
  // Its send timeout is validated to end within the shutdown limit (config.ts).
  const gradeSender = startGradeSender({ logger, timeoutMs: config.grading.sendTimeoutMs });
  // Reconciliation and reminders: each job run claimed once in the database across instances.
  const scheduler = startScheduler({ logger, jobs: allJobs({ config, logger, mailer: fieldbook.mailer }), tickMs: config.jobs.tickMs });

  const web = createDrainableServer(fieldbook.app);
  const { server } = web;
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
    `  Registration:       npm run platform:invite -- --label <text>  (a one-time dynamic registration link)`,
    `  Database:           ${fieldbook.database.isEmbedded ? `embedded FerretDB (data in ${config.dataDir})` : 'MONGODB_URI'}`,
    '',
  ].filter((l) => l !== '');
  process.stdout.write(`\n${banner.join('\n')}\n\n`);

  const shutdown = createShutdown({
    listener: web,
    workers: [
      { name: 'grade sender', stop: () => gradeSender.stop() },
      { name: 'scheduler', stop: () => scheduler.stop() },
    ],
    closeDatabase: () => fieldbook.database.stop(),
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    onStart: () => (fieldbook.lifecycle.isShuttingDown = true),
    exit: (code) => process.exit(code),
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof EmbeddedDatabaseError) console.error(`Fieldbook cannot start.\n${err.message}`);
  else console.error('Fieldbook failed to start:', err);
  process.exit(1);
});
