import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

/** Whether anything accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `npm start` as a newcomer runs it: its own embedded database, then a clean exit on SIGTERM. */
describe('server process', function () {
  this.timeout(90_000);

  it('starts on the embedded database, prints its URLs, reports healthy and shuts down gracefully', async () => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-proc-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, NODE_ENV: 'development', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('Fieldbook is running') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output, output).to.include(`Sandbox LMS:        http://127.0.0.1:${port}/sandbox`);
      // Development listens on loopback only (HOST): the rest of 127.0.0.0/8 stands in for another interface.
      expect(output).to.include(`Listening on:       127.0.0.1:${port}  (this machine only`);
      expect(await accepts('127.0.0.1', port)).to.equal(true);
      expect(await accepts('127.0.0.2', port)).to.equal(false);
      expect(output).to.include(`LTI login URL:      http://127.0.0.1:${port}/lti/login`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).to.equal(200);
      expect(((await health.json()) as { database: { ping: string } }).database.ping).to.equal('ok');
      expect(fs.readdirSync(path.join(dataDir, 'ferretdb')).some((f) => f.endsWith('.sqlite'))).to.equal(true);

      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(output).to.include('shutdown complete');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
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
