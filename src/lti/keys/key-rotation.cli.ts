import { parseArgs } from 'node:util';
import { CliUsageError, runCliMain, type CliCommandSpec } from '../../platform/cli';
import { setupLti } from '../provider';
import { keyStatus, PUBLISH_WAIT_MS, RETIRE_WAIT_MS, rotateKeys, type PlatformKeys, type RotationPhase } from './key-rotation.service';

export const USAGE = `Rotate the tool's signing keys (one per registered platform).

Usage:
  npm run keys:rotate -- --phase publish    put a new key in the JWKS (still signing with the old one)
  npm run keys:rotate -- --phase activate   sign with the new key (at least ${PUBLISH_WAIT_MS / 60_000} min after publish)
  npm run keys:rotate -- --phase retire     remove the old key from the JWKS (at least ${RETIRE_WAIT_MS / 60_000} min after activate)
  npm run keys:rotate -- --status           show each platform's keys

Options:
  --issuer <url> --client-id <id>   only this platform
  --force                           skip the wait (development; or a compromised key, accepting that
                                    platforms may refuse signatures until they fetch the JWKS again)

Run each phase on any one instance: the state is in the database and every instance follows it.`;

export { CliUsageError };

export type RotateCommand =
  | { kind: 'help' }
  | { kind: 'status'; only?: { issuer: string; clientId: string } }
  | { kind: 'rotate'; phase: RotationPhase; force: boolean; only?: { issuer: string; clientId: string } };

export function parseRotateArgs(argv: string[]): RotateCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        phase: { type: 'string' },
        status: { type: 'boolean' },
        force: { type: 'boolean' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  if (Boolean(values.issuer) !== Boolean(values['client-id'])) throw new CliUsageError('--issuer and --client-id go together');
  const only = values.issuer && values['client-id'] ? { issuer: values.issuer, clientId: values['client-id'] } : undefined;
  if (values.status) return { kind: 'status', only };
  if (values.phase !== 'publish' && values.phase !== 'activate' && values.phase !== 'retire') throw new CliUsageError('--phase must be publish, activate or retire (or use --status)');
  return { kind: 'rotate', phase: values.phase, force: values.force ?? false, only };
}

function describe(k: PlatformKeys): string {
  return [
    `  ${k.issuer} (${k.clientId})`,
    `    signing with: ${k.activeKid}${k.activatedAt ? ` since ${k.activatedAt.toISOString()}` : ''}`,
    k.nextKid ? `    published:    ${k.nextKid} at ${k.publishedAt?.toISOString()}` : '',
    k.previousKid ? `    retiring:     ${k.previousKid}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

const rotateCli: CliCommandSpec<RotateCommand> = {
  name: 'keys:rotate',
  usage: USAGE,
  parse: parseRotateArgs,
  async act(command, { config, logger, database }) {
    await setupLti(config, logger, database.uri);
    if (command.kind === 'status') {
      const keys = await keyStatus({ only: command.only });
      process.stdout.write(keys.length ? `${keys.map(describe).join('\n')}\n` : 'No platform is registered.\n');
      return 0;
    }
    const results = await rotateKeys(command.phase, { force: command.force, only: command.only });
    for (const r of results) process.stdout.write(`  ${r.outcome.padEnd(13)} ${r.platform.issuer} (${r.platform.clientId}): ${r.detail}\n`);
    return results.some((r) => r.outcome === 'too early') ? 3 : 0;
  },
};

if (require.main === module) runCliMain(rotateCli);
