import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import type { Logger } from '../logger';
import { PROJECT_ROOT } from '../paths';

const execFileAsync = promisify(execFile);

/** The launcher's Go module (tools/ferretdb) pins FerretDB v1.24.2 (SQLite backend). */
export { PROJECT_ROOT };
const LAUNCHER_SOURCE = path.join(PROJECT_ROOT, 'tools', 'ferretdb');
const FERRETDB_VERSION = 'v1.24.2';

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

export function launcherBinaryPath(): string {
  return path.join(PROJECT_ROOT, '.cache', `ferretdb-launcher-${FERRETDB_VERSION}`);
}

const NO_GO_HELP = [
  'The embedded database (FerretDB) is built from source with Go on first run, but `go` was not found.',
  'Do one of:',
  '  1. install Go 1.24 or newer (https://go.dev/dl/) and run the command again;',
  '  2. point Fieldbook at a MongoDB server: MONGODB_URI=mongodb://localhost:27017/fieldbook npm start;',
  '  3. run everything in containers: docker compose up',
].join('\n');

/**
 * Builds the launcher once (about a minute; later runs reuse .cache/). The
 * binary is written under a temporary name and renamed so that concurrent
 * builds (two test runs) never see a half-written file.
 */
export async function ensureLauncherBuilt(logger: Logger, options: { binary?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const binary = options.binary ?? launcherBinaryPath();
  if (fs.existsSync(binary)) return binary;
  // The Go toolchain needs the caller's environment (PATH, GOPATH, proxy settings); this is not app configuration.
  // eslint-disable-next-line no-restricted-properties
  const env = options.env ?? process.env;
  try {
    await execFileAsync('go', ['version'], { env });
  } catch {
    throw new EmbeddedDatabaseError(NO_GO_HELP);
  }
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  logger.info({ source: LAUNCHER_SOURCE }, 'building the embedded database launcher (first run only, about a minute)');
  try {
    await execFileAsync('go', ['build', '-trimpath', '-o', tmp, '.'], {
      cwd: LAUNCHER_SOURCE,
      env: { ...env, CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new EmbeddedDatabaseError(
      `Building the embedded database launcher failed:\n${stderr.trim()}\n\nIf the Go module proxy is unreachable, set MONGODB_URI to a MongoDB server instead.`,
    );
  }
  fs.renameSync(tmp, binary);
  return binary;
}

export interface EmbeddedDatabase {
  uri: string;
  stop(): Promise<void>;
}

/**
 * Starts FerretDB on a free loopback port with its SQLite files in dataDir.
 * The launcher exits when its stdin closes, so it never outlives this process.
 */
export async function startEmbeddedFerretDb(options: { dataDir: string; logger: Logger; startTimeoutMs?: number }): Promise<EmbeddedDatabase> {
  const binary = await ensureLauncherBuilt(options.logger);
  fs.mkdirSync(options.dataDir, { recursive: true });
  const child = spawn(binary, ['-data', options.dataDir, '-listen', '127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const log = options.logger.child({ component: 'ferretdb' });
  readline.createInterface({ input: child.stderr }).on('line', (line) => log.debug(line));

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new EmbeddedDatabaseError('The embedded database did not start within the time limit.')), options.startTimeoutMs ?? 30000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { uri: string }).uri);
      } catch {
        reject(new EmbeddedDatabaseError(`Unexpected output from the embedded database: ${line}`));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new EmbeddedDatabaseError(`Could not start the embedded database: ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new EmbeddedDatabaseError(`The embedded database exited early (code ${code}). Is another Fieldbook using ${options.dataDir}?`));
    });
  });
  log.info({ uri, dataDir: options.dataDir }, 'embedded FerretDB started');

  return {
    uri,
    async stop() {
      if (child.exitCode !== null) return;
      child.stdin.end();
      const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
