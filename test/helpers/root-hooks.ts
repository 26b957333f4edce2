import { startTestServer, stopTestServer } from './test-server';

/** Mocha root hooks: one real server for the whole run (see test-server.ts). */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    await startTestServer();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopTestServer();
  },
};
