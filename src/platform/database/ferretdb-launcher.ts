import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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
/**
 * Fieldbook's patches over FerretDB's sources (tools/ferretdb/overlay/): sqlite-metadata.go.overlay
 * replaces internal/backends/sqlite/metadata/metadata.go so that `_id` filters, updates and deletes
 * use the table's unique `_id` index instead of scanning the table; sqlite-collection.go.overlay
 * replaces internal/backends/sqlite/collection.go so that a filter with an `_id` equality and other
 * keys reads that one row too (upstream pushes `_id` down only when it is the filter's only key). The build copies the pinned
 * module out of Go's cache (never modified), writes the patched file into the copy, and builds
 * with a replace directive pointing at it. Bump the suffix when the patch or tools/ferretdb/main.go changes, so every
 * machine rebuilds.
 */
const LAUNCHER_BUILD = `${FERRETDB_VERSION}-fieldbook.6`;
const PATCHED_FILES = [
  { file: 'internal/backends/sqlite/metadata/metadata.go', patched: path.join(LAUNCHER_SOURCE, 'overlay', 'sqlite-metadata.go.overlay') },
  // An `_id` equality is pushed down even beside other keys ({_id, version} compare-and-set reads one row).
  { file: 'internal/backends/sqlite/collection.go', patched: path.join(LAUNCHER_SOURCE, 'overlay', 'sqlite-collection.go.overlay') },
  // Upstream's leak tracker (a stack trace and a finalizer per cursor) is a test aid that costs ~6 % CPU per operation.
  { file: 'internal/util/resource/resource.go', patched: path.join(LAUNCHER_SOURCE, 'overlay', 'util-resource.go.overlay') },
];

/** Copies a read-only module directory, leaving the copy writable (and removable) by its owner. */
function copyWritable(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyWritable(source, target);
    else if (entry.isFile()) {
      fs.copyFileSync(source, target);
      fs.chmodSync(target, 0o644);
    }
  }
}

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

export function launcherBinaryPath(): string {
  return path.join(PROJECT_ROOT, '.cache', `ferretdb-launcher-${LAUNCHER_BUILD}`);
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
  const patchedSource = `${binary}.${process.pid}.src`;
  const modFile = `${binary}.${process.pid}.build`;
  try {
    // The module's directory in Go's cache (downloaded if missing), copied and patched.
    const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { cwd: LAUNCHER_SOURCE, env, maxBuffer: 16 * 1024 * 1024 });
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    fs.rmSync(patchedSource, { recursive: true, force: true });
    copyWritable(moduleDir, patchedSource);
    for (const { file, patched } of PATCHED_FILES) fs.copyFileSync(patched, path.join(patchedSource, file));
    // A go.mod of our own for this build only (-modfile): the launcher's, plus the replace directive.
    const goMod = fs.readFileSync(path.join(LAUNCHER_SOURCE, 'go.mod'), 'utf8');
    fs.writeFileSync(`${modFile}.mod`, `${goMod}\nreplace github.com/FerretDB/FerretDB => ${patchedSource}\n`);
    fs.copyFileSync(path.join(LAUNCHER_SOURCE, 'go.sum'), `${modFile}.sum`);
    await execFileAsync('go', ['build', '-trimpath', `-modfile=${modFile}.mod`, '-o', tmp, '.'], {
      cwd: LAUNCHER_SOURCE,
      env: { ...env, CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new EmbeddedDatabaseError(
      `Building the embedded database launcher failed:\n${stderr.trim()}\n\nIf the Go module proxy is unreachable, set MONGODB_URI to a MongoDB server instead.`,
    );
  } finally {
    for (const leftover of [patchedSource, `${modFile}.mod`, `${modFile}.sum`]) fs.rmSync(leftover, { recursive: true, force: true });
  }
  fs.renameSync(tmp, binary);
  return binary;
}

export interface EmbeddedDatabase {
  uri: string;
  /** The running FerretDB process (changes on every restart; undefined while it is down). */
  pid(): number | undefined;
  /** Stops supervising, then stops FerretDB. */
  stop(): Promise<void>;
}

/** What the supervisor tells its owner (database.ts drives the "database available" state with it). */
export interface SupervisionHooks {
  onExit?(info: { code: number | null; signal: NodeJS.Signals | null }): void;
  onRestarted?(info: { pid: number | undefined; downMs: number }): void;
}

export const RESTART_BACKOFF_MS = { first: 200, max: 5000 };

interface Launched {
  child: ChildProcessWithoutNullStreams;
  uri: string;
  exited: Promise<number | null>;
}

class LaunchError extends EmbeddedDatabaseError {
  constructor(
    message: string,
    readonly isPortTaken = false,
  ) {
    super(message);
  }
}

/** One launcher process, resolved once it prints its URI (it binds before printing). */
async function launch(binary: string, dataDir: string, listen: string, log: Logger, startTimeoutMs: number): Promise<Launched> {
  const child = spawn(binary, ['-data', dataDir, '-listen', listen], { stdio: ['pipe', 'pipe', 'pipe'] });
  let lastStderr = '';
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    lastStderr = line;
    log.debug(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LaunchError('The embedded database did not start within the time limit.'));
    }, startTimeoutMs);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { uri: string }).uri);
      } catch {
        reject(new LaunchError(`Unexpected output from the embedded database: ${line}`));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new LaunchError(`Could not start the embedded database: ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      // stderr may still be arriving: give it a moment so the reason is in the message.
      setTimeout(() => {
        const isPortTaken = /address already in use/i.test(lastStderr);
        const why = isPortTaken ? `${listen} is taken by another process` : `Is another Fieldbook using ${dataDir}?`;
        reject(new LaunchError(`The embedded database exited early (code ${code}). ${why}${lastStderr ? ` (${lastStderr})` : ''}`, isPortTaken));
      }, 20);
    });
  });
  return { child, uri, exited };
}

/**
 * Starts FerretDB on a free loopback port with its SQLite files in dataDir.
 * The launcher exits when its stdin closes, so it never outlives this process.
 * With `supervise`, an exit we did not ask for (a crash, a kill) is logged and FerretDB is started
 * again on the same data directory and the same port, so the driver's connection string stays
 * valid and it reconnects by itself; attempts back off from 0.2 s doubling to 5 s, for as long as
 * it takes (a port taken meanwhile is logged and tried again).
 */
export async function startEmbeddedFerretDb(options: {
  dataDir: string;
  logger: Logger;
  startTimeoutMs?: number;
  supervise?: SupervisionHooks | boolean;
}): Promise<EmbeddedDatabase> {
  const binary = await ensureLauncherBuilt(options.logger);
  fs.mkdirSync(options.dataDir, { recursive: true });
  const log = options.logger.child({ component: 'ferretdb' });
  const startTimeoutMs = options.startTimeoutMs ?? 30000;
  let current: Launched | null = await launch(binary, options.dataDir, '127.0.0.1:0', log, startTimeoutMs);
  const uri = current.uri;
  const listen = new URL(uri).host;
  log.info({ uri, dataDir: options.dataDir, pid: current.child.pid }, 'embedded FerretDB started');

  const hooks: SupervisionHooks = typeof options.supervise === 'object' ? options.supervise : {};
  let isStopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let starting: Promise<Launched> | null = null;

  const restart = (attempt: number, downSince: number) => {
    const delayMs = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** (attempt - 1));
    restartTimer = setTimeout(() => {
      if (isStopping) return;
      starting = launch(binary, options.dataDir, listen, log, Math.min(startTimeoutMs, 15000));
      starting.then(
        (launched) => {
          starting = null;
          if (isStopping) return void launched.child.stdin.end();
          current = launched;
          const downMs = Date.now() - downSince;
          log.info({ uri, pid: launched.child.pid, attempt, downMs }, 'embedded FerretDB restarted on the same port and data');
          watch(launched);
          hooks.onRestarted?.({ pid: launched.child.pid, downMs });
        },
        (err: unknown) => {
          starting = null;
          if (isStopping) return;
          const isPortTaken = err instanceof LaunchError && err.isPortTaken;
          const retryInMs = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** attempt);
          if (isPortTaken) {
            log.error({ port: Number(new URL(uri).port), attempt, retryInMs }, 'embedded FerretDB cannot restart: its port was taken by another process meanwhile; trying again');
          } else {
            log.error({ err: { message: (err as Error).message }, attempt, retryInMs }, 'embedded FerretDB restart failed; trying again');
          }
          restart(attempt + 1, downSince);
        },
      );
    }, delayMs);
  };

  const watch = (launched: Launched) => {
    launched.child.once('exit', (code, signal) => {
      if (isStopping || current !== launched) return;
      current = null;
      log.error({ code, signal, pid: launched.child.pid, restartInMs: RESTART_BACKOFF_MS.first }, 'embedded FerretDB exited unexpectedly; restarting it');
      hooks.onExit?.({ code, signal });
      restart(1, Date.now());
    });
  };
  if (options.supervise) watch(current);

  return {
    uri,
    pid: () => current?.child.pid,
    async stop() {
      isStopping = true;
      clearTimeout(restartTimer);
      const pending = starting ? await starting.catch(() => null) : null;
      await Promise.all([current, pending].filter((l): l is Launched => l !== null).map(stopLaunched));
    },
  };
}

async function stopLaunched(launched: Launched): Promise<void> {
  if (launched.child.exitCode !== null || launched.child.signalCode !== null) return;
  launched.child.stdin.end();
  const timeout = setTimeout(() => launched.child.kill('SIGKILL'), 5000);
  await launched.exited;
  clearTimeout(timeout);
}
