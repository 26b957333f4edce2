import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { EmbeddedDatabaseError, ensureLauncherBuilt } from './ferretdb-launcher';

/** `npm run db:build`: builds the embedded database launcher ahead of time (CI, Docker-less machines). */
async function main(): Promise<void> {
  const logger = createLogger({ ...loadConfig(), logLevel: 'info' });
  const binary = await ensureLauncherBuilt(logger);
  logger.info({ binary }, 'embedded database launcher ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof EmbeddedDatabaseError ? err.message : err);
  process.exit(1);
});
