/**
 * What every operator command (npm run platform:register, platform:invite, keys:rotate) does around
 * its own work: parse the arguments (usage errors → exit 2, --help → usage), load the configuration,
 * open the database, run, report an expected error in one line (exit 1), and always close the
 * database. Commands differ only in their parsing and their work.
 */
import { ConfigError, loadConfig, type AppConfig } from './config';
import { startDatabase, type DatabaseHandle } from './database/database';
import { AppError } from './errors';
import { createLogger, type Logger } from './logger';

/** A wrong argument: printed with a pointer to --help, exit 2. */
export class CliUsageError extends Error {}

export interface CliContext {
  config: AppConfig;
  logger: Logger;
  database: DatabaseHandle;
}

export interface CliCommandSpec<C extends { kind: string }> {
  /** The npm script's name, prefixed to every message. */
  name: string;
  usage: string;
  parse(argv: string[]): C;
  /** The work for a parsed command other than help; resolves with the exit code. */
  act(command: Exclude<C, { kind: 'help' }>, context: CliContext): Promise<number>;
}

export async function runCliCommand<C extends { kind: string }>(spec: CliCommandSpec<C>, argv: string[]): Promise<number> {
  let command: C;
  try {
    command = spec.parse(argv);
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err;
    process.stderr.write(`${spec.name}: ${err.message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${spec.usage}\n`);
    return 0;
  }
  const config = loadConfig();
  // Commands print their own results; the logger only speaks up for warnings.
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const database = await startDatabase(config, logger);
  try {
    return await spec.act(command as Exclude<C, { kind: 'help' }>, { config, logger, database });
  } catch (err) {
    if (err instanceof AppError && err.isExpected) {
      process.stderr.write(`${spec.name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await database.stop().catch(() => undefined);
  }
}

/** Runs the command when its file is the entry point, and exits with its code. */
export function runCliMain<C extends { kind: string }>(spec: CliCommandSpec<C>): void {
  runCliCommand(spec, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const message = err instanceof ConfigError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
      process.stderr.write(`${spec.name}: ${message}\n`);
      process.exit(1);
    },
  );
}
