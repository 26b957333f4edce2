import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { DeploymentModel } from '../../src/lti/deployment.model';
import { PLATFORM_CONFIGURATION_CLAIM, TOOL_CONFIGURATION_CLAIM } from '../../src/lti/dynamic-registration.service';
import { lti } from '../../src/lti/ltijs';
import { isKnownDeployment } from '../../src/lti/platform-registry';
import { keyGenerationStats } from '../../src/lti/keys/key-generation';
import { RegistrationInviteModel, RegistrationInviteUseModel } from '../../src/lti/registration/registration-invite.model';
import { createRegistrationInvite, hashInviteToken } from '../../src/lti/registration/registration-invite.service';
import { SandboxDynRegistration } from '../../src/sandbox/dynreg.routes';
import { sandboxIdentity } from '../../src/sandbox/sandbox.identity';
import { testServer } from '../helpers/test-server';

interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  body: unknown;
}

/** A stand-in LMS on loopback that serves whatever configuration a test needs. */
async function startFakePlatform(build: (origin: string) => {
  configuration: Record<string, unknown>;
  registrationStatus?: number;
  registrationResponse?: Record<string, unknown>;
}) {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const spec = build(origin);
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined });
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/openid-configuration') {
        res.end(JSON.stringify(spec.configuration));
      } else if (req.method === 'POST' && req.url === '/register') {
        res.statusCode = spec.registrationStatus ?? 200;
        res.end(JSON.stringify(spec.registrationResponse ?? {}));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    configUrl: `${origin}/openid-configuration`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function platformConfiguration(issuer: string, registrationEndpoint: string, family: string, endpointsBase = issuer) {
  return {
    issuer,
    authorization_endpoint: `${endpointsBase}/api/lti/authorize_redirect`,
    token_endpoint: `${endpointsBase}/login/oauth2/token`,
    jwks_uri: `${endpointsBase}/api/lti/security/jwks`,
    registration_endpoint: registrationEndpoint,
    scopes_supported: ['openid', 'https://purl.imsglobal.org/spec/lti-ags/scope/score'],
    [PLATFORM_CONFIGURATION_CLAIM]: { product_family_code: family, version: 'test' },
  };
}

function clientIdOnPage(html: string): string {
  const match = /data-testid="client-id">([^<]+)</.exec(html);
  if (!match) throw new Error('no client id on the page');
  return match[1];
}

describe('lti/dynamic-registration', function () {
  this.timeout(60_000);
  let baseUrl: string;
  let sandboxIssuer: string;

  let config: ReturnType<typeof testServer>['config'];

  before(() => {
    const server = testServer();
    baseUrl = server.baseUrl;
    config = server.config;
    sandboxIssuer = sandboxIdentity(server.config).issuer;
  });

  /** The administrator's one-time link (npm run platform:invite), as a path under the tool. */
  async function invitePath(lifetimeMs?: number): Promise<string> {
    const invite = await createRegistrationInvite(config, { label: 'test', lifetimeMs });
    return new URL(invite.url).pathname;
  }
  const publicKeyCount = () => mongooseCount('publickeys');
  async function mongooseCount(collection: string): Promise<number> {
    const db = RegistrationInviteModel.db.db;
    if (!db) throw new Error('no database');
    return db.collection(collection).countDocuments();
  }

  const dynamicCount = (issuer: string) => DeploymentModel.countDocuments({ issuer, source: 'dynamic' });
  const platformCount = async (issuer: string) => {
    const found = await lti.getPlatform(issuer);
    return found ? found.length : 0;
  };

  async function startSandboxRegistration(): Promise<{ registrationUrl: string; registrationToken: string; openidConfigurationUrl: string }> {
    const res = await request(baseUrl).post('/sandbox/dynreg/start').set('Accept', 'application/json').expect(201);
    return res.body as { registrationUrl: string; registrationToken: string; openidConfigurationUrl: string };
  }

  function pathOf(url: string): string {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  }

  describe('with the Sandbox LMS', () => {
    it('registers the Sandbox: platform active, deployment stored with the returned client id', async () => {
      const started = await startSandboxRegistration();
      expect(started.registrationUrl).to.match(new RegExp(`^${baseUrl.replace(/[.]/g, '\\.')}/lti/register/[A-Za-z0-9_-]{43}\\?openid_configuration=`));

      const res = await request(baseUrl).get(pathOf(started.registrationUrl)).expect(200).expect('Content-Type', /html/);
      const clientId = clientIdOnPage(res.text);
      expect(clientId).to.match(/^fieldbook-dyn-[0-9a-f]+$/);
      expect(res.text).to.include('<script src="/static/lti/dynreg-close.js"></script>');
      expect(res.text).to.not.match(/<script>[^<]/);

      const stored = await SandboxDynRegistration.findOne({ clientId }).lean();
      expect(stored, 'the Sandbox kept the registration').to.not.equal(null);
      if (!stored) return;
      expect(stored.initiateLoginUri).to.equal(`${baseUrl}/lti/login`);
      expect(stored.redirectUris).to.deep.equal([`${baseUrl}/lti/launch`]);
      expect(stored.jwksUri).to.equal(`${baseUrl}/lti/keys`);

      const platform = await lti.getPlatform(sandboxIssuer, clientId);
      expect(platform, 'platform registered in ltijs').to.not.equal(false);
      if (!platform) return;
      expect(await platform.platformActive()).to.equal(true);
      expect(await platform.platformAuthEndpoint()).to.equal(`${sandboxIssuer}/auth`);
      expect(await platform.platformAuthConfig()).to.deep.include({ method: 'JWK_SET', key: `${sandboxIssuer}/jwks` });

      const deployments = await DeploymentModel.find({ issuer: sandboxIssuer, clientId }).lean();
      expect(deployments.map((d) => [d.deploymentId, d.active, d.source])).to.deep.equal([[stored.deploymentId, true, 'dynamic']]);
      expect(await isKnownDeployment(sandboxIssuer, clientId, stored.deploymentId)).to.equal(true);
      expect(res.text).to.include(stored.deploymentId);
    });

    it('a registration token works once: the second attempt is refused and registers nothing', async () => {
      const started = await startSandboxRegistration();
      await request(baseUrl).get(pathOf(started.registrationUrl)).expect(200);
      const before = [await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)];
      // The tool's one-time link is spent first: the request never reaches the Sandbox again.
      const again = await request(baseUrl).get(pathOf(started.registrationUrl)).expect(403);
      expect(again.text).to.include('dynreg_invite_used');
      expect([await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)]).to.deep.equal(before);
    });

    it('without a registration token the platform configuration is refused (400, nothing registered)', async () => {
      const { openidConfigurationUrl } = await startSandboxRegistration();
      const before = [await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)];
      const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: openidConfigurationUrl }).expect(400);
      expect(res.text).to.include('registration link is invalid or has expired');
      expect(res.text).to.not.match(/at \S+ \(/);
      expect([await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)]).to.deep.equal(before);
    });

    it('with an invalid registration token the platform configuration is refused (400, nothing registered)', async () => {
      const { openidConfigurationUrl } = await startSandboxRegistration();
      const before = [await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)];
      await request(baseUrl).get(await invitePath()).query({ openid_configuration: openidConfigurationUrl, registration_token: 'forged-token' }).expect(400);
      expect([await dynamicCount(sandboxIssuer), await platformCount(sandboxIssuer)]).to.deep.equal(before);
    });

    it('the Sandbox configuration endpoint itself demands the Bearer token', async () => {
      const started = await startSandboxRegistration();
      await request(baseUrl).get('/sandbox/dynreg/openid-configuration').expect(401).expect('WWW-Authenticate', /invalid_token/);
      const ok = await request(baseUrl).get('/sandbox/dynreg/openid-configuration').set('Authorization', `Bearer ${started.registrationToken}`).expect(200);
      expect(ok.body).to.include({ issuer: sandboxIssuer, registration_endpoint: `${sandboxIssuer}/dynreg/register` });
      expect(ok.body[PLATFORM_CONFIGURATION_CLAIM]).to.have.property('product_family_code');
    });

    it('the Sandbox registration endpoint refuses an invalid body and keeps the token usable', async () => {
      const started = await startSandboxRegistration();
      const res = await request(baseUrl)
        .post('/sandbox/dynreg/register')
        .set('Authorization', `Bearer ${started.registrationToken}`)
        .send({ application_type: 'web', client_name: 'x' })
        .expect(400);
      expect(res.body).to.have.property('error', 'invalid_client_metadata');
      await request(baseUrl).get(pathOf(started.registrationUrl)).expect(200);
    });

    it('POST /sandbox/dynreg/start from a browser redirects to the tool registration URL', async () => {
      const res = await request(baseUrl).post('/sandbox/dynreg/start').set('Accept', 'text/html').expect(303);
      expect(res.headers.location).to.match(new RegExp(`^${baseUrl.replace(/[.]/g, '\\.')}/lti/register/[A-Za-z0-9_-]{43}\\?openid_configuration=`));
    });
  });

  describe('invitation gate: no valid one-time link, no fetch, no platform, no key', () => {
    /** A platform that would register anyone: only the gate stands between it and a new key. */
    async function willingPlatform() {
      const clientId = `gate-${randomBytes(4).toString('hex')}`;
      const fake = await startFakePlatform((origin) => ({
        configuration: platformConfiguration(origin, `${origin}/register`, 'moodle'),
        registrationResponse: { client_id: clientId, [TOOL_CONFIGURATION_CLAIM]: { deployment_id: '7' } },
      }));
      return { fake, clientId };
    }

    async function expectRefused(path: string, status: number, id: string) {
      const { fake } = await willingPlatform();
      const keysBefore = [await publicKeyCount(), keyGenerationStats().generated];
      try {
        const res = await request(baseUrl).get(path).query({ openid_configuration: fake.configUrl, registration_token: 'tok' }).expect(status).expect('Content-Type', /html/);
        expect(res.text).to.include(id);
        expect(res.text).to.include('Nothing was registered');
        expect(fake.seen, 'the platform was never contacted').to.have.lengthOf(0);
        expect(await platformCount(fake.origin)).to.equal(0);
        expect([await publicKeyCount(), keyGenerationStats().generated], 'no key generated or stored').to.deep.equal(keysBefore);
      } finally {
        await fake.close();
      }
    }

    it('the bare registration address (no link) → 403 with how to get one', async () => {
      await expectRefused('/lti/register', 403, 'dynreg_invite_required');
      const res = await request(baseUrl).get('/lti/register').expect(403);
      expect(res.text).to.include('npm run platform:invite');
    });

    it('a wrong link (well-formed, never issued) → 403', async () => {
      await expectRefused(`/lti/register/${randomBytes(32).toString('base64url')}`, 403, 'dynreg_invite_invalid');
    });

    it('a malformed link → 403', async () => {
      await expectRefused('/lti/register/not-a-token', 403, 'dynreg_invite_invalid');
    });

    it('an expired link → 403', async () => {
      const invite = await createRegistrationInvite(config, { label: 'old', lifetimeMs: 60_000 }, new Date(Date.now() - 2 * 60_000));
      await expectRefused(new URL(invite.url).pathname, 403, 'dynreg_invite_expired');
    });

    it('a used link → 403; the link registered exactly one platform, with one new key', async () => {
      const path = await invitePath();
      const first = await willingPlatform();
      const generatedBefore = keyGenerationStats().generated;
      try {
        await request(baseUrl).get(path).query({ openid_configuration: first.fake.configUrl }).expect(200);
        expect(await platformCount(first.fake.origin)).to.equal(1);
        expect(keyGenerationStats().generated - generatedBefore).to.equal(1);
      } finally {
        await first.fake.close();
      }
      await expectRefused(path, 403, 'dynreg_invite_used');
      const use = await RegistrationInviteUseModel.findById(hashInviteToken(path.split('/').pop() ?? '')).lean();
      expect(use?.registered).to.deep.equal({ issuer: first.fake.origin, clientId: first.clientId });
    });

    it('two registrations racing with one link: exactly one gets through', async () => {
      const path = await invitePath();
      const a = await willingPlatform();
      const b = await willingPlatform();
      try {
        const answers = await Promise.all([a, b].map(({ fake }) => request(baseUrl).get(path).query({ openid_configuration: fake.configUrl })));
        expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 403]);
        expect((await platformCount(a.fake.origin)) + (await platformCount(b.fake.origin))).to.equal(1);
      } finally {
        await Promise.all([a.fake.close(), b.fake.close()]);
      }
    });

    it('a registration that fails gives the link back: the retry registers', async () => {
      const path = await invitePath();
      await request(baseUrl).get(path).query({ openid_configuration: 'http://127.0.0.1:1/openid-configuration' }).expect(502);
      const { fake } = await willingPlatform();
      try {
        await request(baseUrl).get(path).query({ openid_configuration: fake.configUrl }).expect(200);
        expect(await platformCount(fake.origin)).to.equal(1);
      } finally {
        await fake.close();
      }
    });

    it('only a hash of the link is stored', async () => {
      const invite = await createRegistrationInvite(config, { label: 'hash check' });
      const stored = await RegistrationInviteModel.findById(hashInviteToken(invite.token)).lean();
      expect(stored).to.include({ label: 'hash check' });
      expect(JSON.stringify(stored)).to.not.include(invite.token);
    });
  });

  describe('refusals', () => {
    it('no openid_configuration → 400 page', async () => {
      const res = await request(baseUrl).get(await invitePath()).expect(400);
      expect(res.text).to.include('dynreg_bad_request');
    });

    it('an unreachable openid_configuration URL → 502, nothing registered', async () => {
      const issuer = 'http://127.0.0.1:1';
      const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: `${issuer}/openid-configuration`, registration_token: 't' }).expect(502);
      expect(res.text).to.include('dynreg_platform_unreachable');
      expect(await platformCount(issuer)).to.equal(0);
    });

    it('a configuration served from another host than its (non-Canvas) issuer → 400, registration never attempted', async () => {
      const issuer = `https://moodle-${randomBytes(4).toString('hex')}.example.edu`;
      const fake = await startFakePlatform((origin) => ({
        configuration: platformConfiguration(issuer, `${origin}/register`, 'moodle'),
        registrationResponse: { client_id: 'stolen', [TOOL_CONFIGURATION_CLAIM]: { deployment_id: '1' } },
      }));
      try {
        const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl, registration_token: 'tok' }).expect(400);
        expect(res.text).to.include('dynreg_issuer_mismatch');
        expect(fake.seen.filter((r) => r.method === 'POST')).to.have.lengthOf(0);
        expect(await platformCount(issuer)).to.equal(0);
      } finally {
        await fake.close();
      }
    });

    it('a configuration that is not an LTI platform configuration → 400, nothing registered', async () => {
      const fake = await startFakePlatform(() => ({ configuration: { issuer: 'x', hello: 'world' } }));
      try {
        const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl }).expect(400);
        expect(res.text).to.include('dynreg_configuration_invalid');
        expect(fake.seen.filter((r) => r.method === 'POST')).to.have.lengthOf(0);
      } finally {
        await fake.close();
      }
    });

    it('the platform refusing the registration → 400, nothing registered', async () => {
      const fake = await startFakePlatform((origin) => ({
        configuration: platformConfiguration(origin, `${origin}/register`, 'moodle'),
        registrationStatus: 403,
        registrationResponse: { error: 'nope' },
      }));
      try {
        const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl, registration_token: 'tok' }).expect(400);
        expect(res.text).to.include('dynreg_registration_refused');
        expect(await platformCount(fake.origin)).to.equal(0);
        expect(await DeploymentModel.countDocuments({ issuer: fake.origin })).to.equal(0);
      } finally {
        await fake.close();
      }
    });

    it('Canvas cloud issuer with key endpoints outside Instructure → 400, registration never attempted', async () => {
      const fake = await startFakePlatform((origin) => ({
        configuration: platformConfiguration('https://canvas.instructure.com', `${origin}/register`, 'canvas', origin),
        registrationResponse: { client_id: `evil-${randomBytes(4).toString('hex')}` },
      }));
      try {
        const res = await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl, registration_token: 'tok' }).expect(400);
        expect(res.text).to.include('dynreg_canvas_endpoints');
        expect(fake.seen.filter((r) => r.method === 'POST')).to.have.lengthOf(0);
      } finally {
        await fake.close();
      }
    });
  });

  describe('Canvas-style platform', () => {
    it('sends the registration token on both requests, asks for Canvas placements and keeps the deployment id', async () => {
      const clientId = `10000000000${randomBytes(3).readUIntBE(0, 3)}`;
      const fake = await startFakePlatform((origin) => ({
        configuration: platformConfiguration('https://canvas.instructure.com', `${origin}/register`, 'canvas', 'https://sso.canvaslms.com'),
        registrationResponse: { client_id: clientId, [TOOL_CONFIGURATION_CLAIM]: { deployment_id: `dep-${clientId}` } },
      }));
      try {
        await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl, registration_token: 'canvas-token' }).expect(200);
        expect(fake.seen.map((r) => [r.method, r.authorization])).to.deep.equal([
          ['GET', 'Bearer canvas-token'],
          ['POST', 'Bearer canvas-token'],
        ]);
        const body = fake.seen[1].body as Record<string, unknown>;
        expect(body).to.include({ application_type: 'web', client_name: 'Fieldbook', token_endpoint_auth_method: 'private_key_jwt' });
        expect(body.grant_types).to.deep.equal(['implicit', 'client_credentials']);
        expect(body.scope).to.equal('https://purl.imsglobal.org/spec/lti-ags/scope/score');
        const toolConfig = body[TOOL_CONFIGURATION_CLAIM] as Record<string, unknown>;
        expect(toolConfig['https://canvas.instructure.com/lti/privacy_level']).to.equal('public');
        const placements = (toolConfig.messages as Array<{ placements?: string[] }>).flatMap((m) => m.placements ?? []);
        expect(placements).to.have.members(['course_navigation', 'account_navigation', 'assignment_selection', 'link_selection']);

        const platform = await lti.getPlatform('https://canvas.instructure.com', clientId);
        expect(platform).to.not.equal(false);
        expect(await isKnownDeployment('https://canvas.instructure.com', clientId, `dep-${clientId}`)).to.equal(true);

        const again = await request(baseUrl).get(await invitePath()).query({ openid_configuration: fake.configUrl, registration_token: 'canvas-token' }).expect(409);
        expect(again.text).to.include('dynreg_already_registered');
      } finally {
        await fake.close();
      }
    });
  });
});
