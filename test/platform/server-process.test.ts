import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { accepts, startServerProcess } from '../helpers/server-process';

/** `npm start` as a newcomer runs it: its own embedded database, then a clean exit on SIGTERM. */
describe('server process', function () {
  this.timeout(90_000);

  it('starts on the embedded database, prints its URLs, reports healthy and shuts down gracefully', async () => {
    const server = await startServerProcess();
    const { port } = server;
    try {
      const output = server.output();
      expect(output, output).to.include(`Sandbox LMS:        http://127.0.0.1:${port}/sandbox`);
      // Development listens on loopback only (HOST): the rest of 127.0.0.0/8 stands in for another interface.
      expect(output).to.include(`Listening on:       127.0.0.1:${port}  (this machine only`);
      expect(await accepts('127.0.0.1', port)).to.equal(true);
      expect(await accepts('127.0.0.2', port)).to.equal(false);
      expect(output).to.include(`LTI login URL:      http://127.0.0.1:${port}/lti/login`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).to.equal(200);
      expect(((await health.json()) as { database: { ping: string } }).database.ping).to.equal('ok');
      expect(fs.readdirSync(path.join(server.dataDir, 'ferretdb')).some((f) => f.endsWith('.sqlite'))).to.equal(true);

      server.child.kill('SIGTERM');
      expect(await server.exited).to.equal(0);
      expect(server.output()).to.include('shutdown complete');
    } finally {
      server.cleanUp();
    }
  });

  it('exits with a clear message when the configuration is invalid', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, NODE_ENV: 'production', SANDBOX_ENABLED: 'true', LTI_ENCRYPTION_KEY: '', MONGODB_URI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).to.equal(78);
    expect(stderr).to.include('Fieldbook cannot start');
    expect(stderr).to.include('sandbox.enabled');
  });
});
