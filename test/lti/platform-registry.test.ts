import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DeploymentModel } from '../../src/lti/deployment.model';
import { lti } from '../../src/lti/ltijs';
import {
  addDeployment,
  allowHttpFor,
  getPlatform,
  isKnownDeployment,
  listPlatforms,
  registerPlatform,
  removeDeployment,
  type RegisterPlatformInput,
} from '../../src/lti/platform-registry';
import { CliUsageError, parseCliArgs } from '../../src/lti/register-platform.cli';
import { AppError } from '../../src/platform/errors';
import { testServer } from '../helpers/test-server';

function uniqueIssuer(): string {
  return `https://lms-${randomBytes(6).toString('hex')}.example.edu`;
}

function buildPlatformInput(overrides: Partial<RegisterPlatformInput> = {}): RegisterPlatformInput {
  const issuer = overrides.issuer ?? uniqueIssuer();
  return {
    issuer,
    name: 'Test LMS',
    clientId: `client-${randomBytes(4).toString('hex')}`,
    authEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
    deploymentIds: ['dep-1'],
    registeredBy: 'cli',
    ...overrides,
  };
}

async function expectAppError(promise: Promise<unknown>, status: number, id: string): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).status).to.equal(status);
    expect((err as AppError).id).to.equal(id);
    return err as AppError;
  }
  expect.fail(`expected an AppError ${id}`);
}

describe('lti/platform-registry', function () {
  // ltijs generates a 4096-bit key pair per new platform.
  this.timeout(60_000);

  before(() => {
    testServer();
  });

  describe('registerPlatform', () => {
    const input = buildPlatformInput({ deploymentIds: ['dep-1', 'dep-2'] });

    before(async () => {
      await registerPlatform(input);
    });

    it('stores the platform in ltijs with its endpoints and key set URL, active', async () => {
      const platform = await lti.getPlatform(input.issuer, input.clientId);
      expect(platform).to.not.equal(false);
      if (!platform) return;
      expect(await platform.platformName()).to.equal('Test LMS');
      expect(await platform.platformAuthEndpoint()).to.equal(input.authEndpoint);
      expect(await platform.platformAccessTokenEndpoint()).to.equal(input.tokenEndpoint);
      expect(await platform.platformAuthConfig()).to.deep.include({ method: 'JWK_SET', key: input.jwksUrl });
      expect(await platform.platformActive()).to.equal(true);
    });

    it('stores each deployment in lti_deployments', async () => {
      const rows = await DeploymentModel.find({ issuer: input.issuer, clientId: input.clientId }).sort({ deploymentId: 1 }).lean();
      expect(rows.map((r) => [r.deploymentId, r.active, r.source])).to.deep.equal([
        ['dep-1', true, 'cli'],
        ['dep-2', true, 'cli'],
      ]);
      expect(rows[0].createdAt).to.be.instanceOf(Date);
    });

    it('is idempotent: re-running updates and never duplicates', async () => {
      const before = await DeploymentModel.find({ issuer: input.issuer, clientId: input.clientId }).lean();
      const summary = await registerPlatform({ ...input, name: 'Renamed LMS', deploymentIds: ['dep-2', 'dep-3', 'dep-3'] });
      expect(summary.name).to.equal('Renamed LMS');
      expect(summary.deployments.map((d) => d.deploymentId).sort()).to.deep.equal(['dep-1', 'dep-2', 'dep-3']);
      const platforms = await lti.getPlatform(input.issuer);
      expect(platforms).to.be.an('array').with.lengthOf(1);
      const dep2 = await DeploymentModel.find({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-2' }).lean();
      expect(dep2).to.have.lengthOf(1);
      expect(dep2[0].createdAt.getTime()).to.equal(before.find((d) => d.deploymentId === 'dep-2')?.createdAt.getTime());
    });

    it('isKnownDeployment answers only for the exact (issuer, client id, deployment id)', async () => {
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-1')).to.equal(true);
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-unknown')).to.equal(false);
      expect(await isKnownDeployment(input.issuer, 'other-client', 'dep-1')).to.equal(false);
      expect(await isKnownDeployment(uniqueIssuer(), input.clientId, 'dep-1')).to.equal(false);
      expect(await isKnownDeployment(input.issuer, input.clientId, '')).to.equal(false);
      expect(await isKnownDeployment(input.issuer, input.clientId, 'x'.repeat(256))).to.equal(false);
    });

    it('the unique index refuses a duplicate deployment row written directly', async () => {
      const err = await DeploymentModel.create({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-1', active: true, source: 'cli' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, 'duplicate insert must fail').to.not.equal(null);
      expect(await DeploymentModel.countDocuments({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-1' })).to.equal(1);
    });

    it('addDeployment and removeDeployment change what isKnownDeployment accepts', async () => {
      await addDeployment({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-added' }, { source: 'cli' });
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-added')).to.equal(true);
      expect(await removeDeployment({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-added' })).to.equal(true);
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-added')).to.equal(false);
      expect(await removeDeployment({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-added' })).to.equal(false);
    });

    it('an inactive deployment is not known', async () => {
      await addDeployment({ issuer: input.issuer, clientId: input.clientId, deploymentId: 'dep-paused' }, { source: 'cli', active: false });
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-paused')).to.equal(false);
    });

    it('listPlatforms and getPlatform include the platform with its deployments', async () => {
      const all = await listPlatforms();
      const mine = all.find((p) => p.issuer === input.issuer && p.clientId === input.clientId);
      expect(mine, 'listed').to.not.equal(undefined);
      expect(mine?.jwksUrl).to.equal(input.jwksUrl);
      expect(mine?.deployments.map((d) => d.deploymentId)).to.include('dep-1');
      const one = await getPlatform(input.issuer, input.clientId);
      expect(one?.clientId).to.equal(input.clientId);
      expect(await getPlatform(input.issuer, 'nope')).to.equal(null);
    });

    it('registering as inactive deactivates the platform and its listed deployments', async () => {
      const summary = await registerPlatform({ ...input, deploymentIds: ['dep-1'], active: false });
      expect(summary.active).to.equal(false);
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-1')).to.equal(false);
      await registerPlatform({ ...input, deploymentIds: ['dep-1'] });
      expect(await isKnownDeployment(input.issuer, input.clientId, 'dep-1')).to.equal(true);
    });
  });

  describe('validation (nothing is written)', () => {
    async function expectNothingStored(input: RegisterPlatformInput) {
      expect(await lti.getPlatform(input.issuer, input.clientId)).to.equal(false);
      expect(await DeploymentModel.countDocuments({ issuer: input.issuer })).to.equal(0);
    }

    it('refuses http:// endpoints unless allowHttp', async () => {
      const input = buildPlatformInput({ issuer: 'http://lms.example.edu', authEndpoint: 'http://lms.example.edu/auth' });
      const err = await expectAppError(registerPlatform(input), 400, 'platform_registration_invalid');
      expect(err.message).to.match(/https/);
      await expectNothingStored(input);
    });

    it('allowHttpFor is false only in production', () => {
      expect(allowHttpFor({ env: 'production' })).to.equal(false);
      expect(allowHttpFor({ env: 'development' })).to.equal(true);
      expect(allowHttpFor({ env: 'test' })).to.equal(true);
    });

    it('refuses an empty or over-long deployment id', async () => {
      const empty = buildPlatformInput({ deploymentIds: [''] });
      await expectAppError(registerPlatform(empty), 400, 'platform_registration_invalid');
      await expectNothingStored(empty);
      const long = buildPlatformInput({ deploymentIds: ['x'.repeat(256)] });
      await expectAppError(registerPlatform(long), 400, 'platform_registration_invalid');
      await expectNothingStored(long);
    });

    it('refuses a missing client id, a non-URL key set and an issuer with a fragment', async () => {
      for (const bad of [buildPlatformInput({ clientId: '' }), buildPlatformInput({ jwksUrl: 'not a url' }), buildPlatformInput({ issuer: 'https://lms.example.edu/#x' })]) {
        await expectAppError(registerPlatform(bad), 400, 'platform_registration_invalid');
        await expectNothingStored(bad);
      }
    });

    it('addDeployment refuses an unknown platform', async () => {
      await expectAppError(addDeployment({ issuer: uniqueIssuer(), clientId: 'c', deploymentId: 'd' }, { source: 'cli' }), 404, 'platform_not_registered');
    });
  });

  describe('register-platform CLI arguments', () => {
    const required = ['--client-id', 'abc', '--deployment-id', 'd1'];

    it('--help', () => {
      expect(parseCliArgs(['--help'])).to.deep.equal({ kind: 'help' });
    });

    it('--list', () => {
      expect(parseCliArgs(['--list'])).to.deep.equal({ kind: 'list' });
    });

    it('explicit URLs and repeated --deployment-id', () => {
      const cmd = parseCliArgs([
        '--issuer', 'https://lms.example.edu', '--auth-url', 'https://lms.example.edu/auth', '--token-url', 'https://lms.example.edu/token',
        '--jwks-url', 'https://lms.example.edu/jwks', '--client-id', 'abc', '--deployment-id', 'd1', '--deployment-id', 'd2', '--name', 'My LMS',
      ]);
      expect(cmd).to.deep.equal({
        kind: 'register',
        input: {
          issuer: 'https://lms.example.edu', clientId: 'abc', authUrl: 'https://lms.example.edu/auth', tokenUrl: 'https://lms.example.edu/token',
          jwksUrl: 'https://lms.example.edu/jwks', deploymentIds: ['d1', 'd2'], name: 'My LMS', active: true,
        },
      });
    });

    it('--preset canvas fills the Canvas cloud issuer and endpoints', () => {
      const cmd = parseCliArgs(['--preset', 'canvas', ...required]);
      expect(cmd.kind).to.equal('register');
      if (cmd.kind !== 'register') return;
      expect(cmd.input).to.include({
        issuer: 'https://canvas.instructure.com',
        authUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect',
        tokenUrl: 'https://sso.canvaslms.com/login/oauth2/token',
        jwksUrl: 'https://sso.canvaslms.com/api/lti/security/jwks',
      });
    });

    it('--preset moodle derives endpoints from --issuer', () => {
      const cmd = parseCliArgs(['--preset', 'moodle', '--issuer', 'https://moodle.example.edu/', ...required, '--inactive']);
      expect(cmd.kind).to.equal('register');
      if (cmd.kind !== 'register') return;
      expect(cmd.input).to.include({
        issuer: 'https://moodle.example.edu',
        authUrl: 'https://moodle.example.edu/mod/lti/auth.php',
        tokenUrl: 'https://moodle.example.edu/mod/lti/token.php',
        jwksUrl: 'https://moodle.example.edu/mod/lti/certs.php',
        active: false,
      });
    });

    const bad: Array<[string, string[], RegExp]> = [
      ['no deployment id', ['--preset', 'canvas', '--client-id', 'abc'], /deployment-id/],
      ['no client id', ['--preset', 'canvas', '--deployment-id', 'd'], /client-id/],
      ['no issuer or preset', ['--client-id', 'a', '--deployment-id', 'd'], /--issuer is required/],
      ['moodle preset without issuer', ['--preset', 'moodle', ...required], /needs --issuer/],
      ['unknown preset', ['--preset', 'blackboard', ...required], /unknown --preset/],
      ['unknown option', ['--bogus'], /bogus/],
      ['not a URL', ['--preset', 'canvas', '--jwks-url', 'nope', ...required], /--jwks-url must be a URL/],
    ];
    for (const [name, argv, message] of bad) {
      it(`refuses: ${name}`, () => {
        expect(() => parseCliArgs(argv)).to.throw(CliUsageError, message);
      });
    }
  });
});
