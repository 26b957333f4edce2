import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/platform/config';

describe('configuration', () => {
  it('loads development defaults with no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.env).to.equal('development');
    expect(config.port).to.equal(3000);
    expect(config.sandbox.enabled).to.equal(true);
    expect(config.mongodbUri).to.equal(null);
    expect(config.lti.encryptionKey.length).to.be.at.least(32);
  });

  it('lets environment variables override files, with types coerced', () => {
    const config = loadConfig({ env: { PORT: '8080', PUBLIC_URL: 'https://fieldbook.example.edu/', SANDBOX_ENABLED: 'false', MONGODB_URI: 'mongodb://db:27017/fb' } });
    expect(config.port).to.equal(8080);
    expect(config.publicUrl).to.equal('https://fieldbook.example.edu');
    expect(config.sandbox.enabled).to.equal(false);
    expect(config.mongodbUri).to.equal('mongodb://db:27017/fb');
  });

  it('refuses the Sandbox LMS, the development key, http and the embedded database in production', () => {
    try {
      loadConfig({ env: { NODE_ENV: 'production', SANDBOX_ENABLED: 'true' } });
      expect.fail('production config should be refused');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const message = (err as ConfigError).message;
      expect(message).to.include('sandbox.enabled');
      expect(message).to.include('LTI_ENCRYPTION_KEY');
      expect(message).to.include('PUBLIC_URL');
      expect(message).to.include('MONGODB_URI');
    }
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      env: { NODE_ENV: 'production', PUBLIC_URL: 'https://fb.example.edu', LTI_ENCRYPTION_KEY: 'x'.repeat(40), MONGODB_URI: 'mongodb://mongo:27017/fieldbook' },
    });
    expect(config.sandbox.enabled).to.equal(false);
    expect(config.lti.cookieSecure).to.equal(true);
    expect(config.lti.cookieSameSite).to.equal('None');
  });

  it('listens on loopback in development and on every interface in production, unless HOST says otherwise', () => {
    expect(loadConfig({ env: {} }).host).to.equal('127.0.0.1');
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://fb.example.edu', LTI_ENCRYPTION_KEY: 'x'.repeat(40), MONGODB_URI: 'mongodb://mongo:27017/fieldbook' };
    expect(loadConfig({ env: production }).host).to.equal('0.0.0.0');
    expect(loadConfig({ env: { ...production, HOST: '10.0.0.5' } }).host).to.equal('10.0.0.5');
    expect(loadConfig({ env: { HOST: '0.0.0.0' } }).host).to.equal('0.0.0.0');
    expect(loadConfig({ env: { HOST: '::' } }).host).to.equal('::');
    expect(loadConfig({ env: { HOST: 'fieldbook.internal' } }).host).to.equal('fieldbook.internal');
    expect(() => loadConfig({ env: { HOST: 'http://0.0.0.0' } })).to.throw(ConfigError, /host: must be an IP address or host name.*\(set HOST\)/);
    expect(() => loadConfig({ env: { HOST: '0.0.0.0:3000' } })).to.throw(ConfigError, /\(set HOST\)/);
  });

  it('names the variable to fix when a value is invalid', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).to.throw(ConfigError, /port.*\(set PORT\)/);
    expect(() => loadConfig({ env: { MONGODB_URI: 'postgres://x' } })).to.throw(ConfigError, /MONGODB_URI/);
    expect(() => loadConfig({ env: { LTI_ENCRYPTION_KEY: 'short' } })).to.throw(ConfigError, /at least 32/);
  });
});
