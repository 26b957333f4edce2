import { parseArgs } from 'node:util';
import { CliUsageError, runCliMain, type CliCommandSpec } from '../../platform/cli';
import { createRegistrationInvite, listRegistrationInvites, MAX_INVITE_LIFETIME_MS } from './registration-invite.service';

export const USAGE = `Create a one-time LTI Dynamic Registration link for an LMS.

Usage:
  npm run platform:invite -- --label <text> [--expires <n>m|<n>h|<n>d]
  npm run platform:invite -- --list

Options:
  --label     what the link is for (e.g. "Canvas production"); shown in --list and the logs
  --expires   how long the link works (default 7d, at most 30d)
  --list      list the links created, whether each is open, expired or used, and by which platform
  --help      show this help

Give the printed URL to the LMS: Canvas: Admin → Developer Keys → + Developer Key → + LTI Registration;
Moodle: Site administration → Plugins → External tool → Manage tools → Tool URL → Add LTI Advantage.
The link registers one platform; only a hash of it is stored.`;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export { CliUsageError };

export type InviteCommand = { kind: 'help' } | { kind: 'list' } | { kind: 'create'; label: string; lifetimeMs: number };

/** Pure: argv → what to do; throws CliUsageError naming the problem. */
export function parseInviteArgs(argv: string[]): InviteCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { label: { type: 'string' }, expires: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  const label = values.label?.trim();
  if (!label) throw new CliUsageError('--label is required (what the link is for, e.g. --label "Canvas test")');
  if (label.length > 200) throw new CliUsageError('--label must be at most 200 characters');
  const match = /^(\d{1,5})([mhd])$/.exec(values.expires ?? '7d');
  if (!match) throw new CliUsageError('--expires must look like 30m, 12h or 7d');
  const lifetimeMs = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (lifetimeMs <= 0 || lifetimeMs > MAX_INVITE_LIFETIME_MS) throw new CliUsageError('--expires must be more than 0 and at most 30d');
  return { kind: 'create', label, lifetimeMs };
}

const inviteCli: CliCommandSpec<InviteCommand> = {
  name: 'platform:invite',
  usage: USAGE,
  parse: parseInviteArgs,
  async act(command, { config }) {
    if (command.kind === 'list') {
      const invites = await listRegistrationInvites();
      const lines = invites.map(
        (i) => `  ${i.state.padEnd(8)} ${i.label}  (created ${i.createdAt.toISOString()}, expires ${i.expiresAt.toISOString()})${i.registered ? `  → ${i.registered.issuer} ${i.registered.clientId}` : ''}`,
      );
      process.stdout.write(lines.length ? `Registration links:\n${lines.join('\n')}\n` : 'No registration link was created.\n');
      return 0;
    }
    const invite = await createRegistrationInvite(config, { label: command.label, lifetimeMs: command.lifetimeMs });
    process.stdout.write(
      [
        `Registration link for "${invite.label}" (works once, until ${invite.expiresAt.toISOString()}):`,
        '',
        `  ${invite.url}`,
        '',
        'Paste it into the LMS as the dynamic registration URL (Canvas: + LTI Registration; Moodle: Tool URL → Add LTI Advantage).',
        'Keep it private: whoever opens it first with an LMS registers that LMS.',
        '',
      ].join('\n'),
    );
    return 0;
  },
};

if (require.main === module) runCliMain(inviteCli);
