import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CliUsageError, runCliMain, type CliCommandSpec } from '../platform/cli';
import type { AppConfig } from '../platform/config';
import { allowHttpFor, listPlatforms, registerPlatform, type PlatformSummary } from './platform-registry';
import { setupLti, toolUrls } from './provider';

/**
 * npm run platform:register -- --issuer … --client-id … --auth-url … --token-url … --jwks-url …
 *   --deployment-id … [--deployment-id …] [--name …] [--preset canvas|moodle] [--inactive]
 * npm run platform:register -- --list
 */

export const USAGE = `Register an LTI 1.3 platform (LMS) with Fieldbook.

Usage:
  npm run platform:register -- --issuer <url> --client-id <id> --auth-url <url> --token-url <url>
                               --jwks-url <url> --deployment-id <id> [--deployment-id <id> ...]
                               [--name <text>] [--inactive]
  npm run platform:register -- --preset canvas --client-id <id> --deployment-id <id>
  npm run platform:register -- --preset moodle --issuer https://moodle.example.edu --client-id <id> --deployment-id <id>
  npm run platform:register -- --list

Options:
  --issuer          the platform's issuer (iss); Canvas cloud: https://canvas.instructure.com
  --client-id       the client id the platform gave Fieldbook (Canvas: the developer key id)
  --auth-url        OIDC authorization endpoint          --token-url   OAuth2 token endpoint
  --jwks-url        the platform's public key set URL    --name        a label (default: issuer host)
  --deployment-id   a deployment id to accept (repeat for several; Moodle: the tool type id)
  --preset          canvas: fills issuer and Canvas cloud endpoints; moodle: derives endpoints from --issuer
  --inactive        register, but refuse launches until activated
  --list            list registered platforms and deployments
  --help            show this help

Running it again with the same issuer and client id updates the platform; deployments are added, never duplicated.`;

const CANVAS_PRESET = {
  issuer: 'https://canvas.instructure.com',
  authUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect',
  tokenUrl: 'https://sso.canvaslms.com/login/oauth2/token',
  jwksUrl: 'https://sso.canvaslms.com/api/lti/security/jwks',
};

function moodlePreset(issuer: string) {
  const site = issuer.replace(/\/+$/, '');
  return { issuer: site, authUrl: `${site}/mod/lti/auth.php`, tokenUrl: `${site}/mod/lti/token.php`, jwksUrl: `${site}/mod/lti/certs.php` };
}

const argsSchema = z.object({
  issuer: z.string({ required_error: '--issuer is required (or use --preset canvas)' }).url('--issuer must be a URL'),
  clientId: z.string({ required_error: '--client-id is required' }).min(1, '--client-id must not be empty'),
  authUrl: z.string({ required_error: '--auth-url is required (or use --preset)' }).url('--auth-url must be a URL'),
  tokenUrl: z.string({ required_error: '--token-url is required (or use --preset)' }).url('--token-url must be a URL'),
  jwksUrl: z.string({ required_error: '--jwks-url is required (or use --preset)' }).url('--jwks-url must be a URL'),
  deploymentIds: z.array(z.string()).min(1, 'at least one --deployment-id is required'),
  name: z.string().optional(),
  active: z.boolean(),
});

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'register'; input: z.infer<typeof argsSchema> };

export { CliUsageError };

/** Pure: argv (after the script name) → what to do. Throws CliUsageError with every problem. */
export function parseCliArgs(argv: string[]): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        'auth-url': { type: 'string' },
        'token-url': { type: 'string' },
        'jwks-url': { type: 'string' },
        'deployment-id': { type: 'string', multiple: true },
        name: { type: 'string' },
        preset: { type: 'string' },
        inactive: { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };

  let preset: Partial<Record<'issuer' | 'authUrl' | 'tokenUrl' | 'jwksUrl', string>> = {};
  if (values.preset === 'canvas') preset = CANVAS_PRESET;
  else if (values.preset === 'moodle') {
    if (!values.issuer) throw new CliUsageError('--preset moodle needs --issuer (the Moodle site URL, e.g. https://moodle.example.edu)');
    preset = moodlePreset(values.issuer);
  } else if (values.preset !== undefined) throw new CliUsageError(`unknown --preset "${values.preset}" (use canvas or moodle)`);

  const parsed = argsSchema.safeParse({
    issuer: values.preset === 'moodle' ? preset.issuer : (values.issuer ?? preset.issuer),
    clientId: values['client-id'],
    authUrl: values['auth-url'] ?? preset.authUrl,
    tokenUrl: values['token-url'] ?? preset.tokenUrl,
    jwksUrl: values['jwks-url'] ?? preset.jwksUrl,
    deploymentIds: values['deployment-id'] ?? [],
    name: values.name,
    active: !values.inactive,
  });
  if (!parsed.success) throw new CliUsageError(parsed.error.issues.map((i) => i.message).join('\n'));
  return { kind: 'register', input: parsed.data };
}

function describe(p: PlatformSummary): string {
  const deployments = p.deployments.map((d) => `      - ${d.deploymentId}${d.active ? '' : ' (inactive)'} [${d.source}]`).join('\n') || '      (none: launches are refused)';
  return [
    `  ${p.name}${p.active ? '' : ' (INACTIVE)'}`,
    `    issuer:          ${p.issuer}`,
    `    client id:       ${p.clientId}`,
    `    auth endpoint:   ${p.authEndpoint}`,
    `    token endpoint:  ${p.tokenEndpoint}`,
    `    platform JWKS:   ${p.jwksUrl}`,
    `    deployments:\n${deployments}`,
  ].join('\n');
}

function toolSummary(config: AppConfig): string {
  const urls = toolUrls(config);
  return [
    'Give the LMS these Fieldbook URLs:',
    `  OIDC login / initiation URL:  ${urls.login}`,
    `  target link / redirect URI:   ${urls.launch}`,
    `  public keyset (JWKS) URL:     ${urls.keys}`,
    `  dynamic registration:         npm run platform:invite -- --label <text>  (prints a one-time URL)`,
  ].join('\n');
}

const registerCli: CliCommandSpec<CliCommand> = {
  name: 'platform:register',
  usage: USAGE,
  parse: parseCliArgs,
  async act(command, { config, logger, database }) {
    await setupLti(config, logger, database.uri);
    if (command.kind === 'list') {
      const platforms = await listPlatforms();
      process.stdout.write(platforms.length ? `Registered platforms:\n${platforms.map(describe).join('\n')}\n` : 'No platform is registered.\n');
      return 0;
    }
    const { input } = command;
    const platform = await registerPlatform(
      {
        issuer: input.issuer,
        name: input.name ?? new URL(input.issuer).host,
        clientId: input.clientId,
        authEndpoint: input.authUrl,
        tokenEndpoint: input.tokenUrl,
        jwksUrl: input.jwksUrl,
        deploymentIds: input.deploymentIds,
        active: input.active,
        registeredBy: 'cli',
      },
      { allowHttp: allowHttpFor(config) },
    );
    process.stdout.write(`Platform registered:\n${describe(platform)}\n\n${toolSummary(config)}\n`);
    return 0;
  },
};

if (require.main === module) runCliMain(registerCli);
