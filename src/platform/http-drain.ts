import http from 'node:http';

export interface DrainResult {
  /** Every connection closed by itself before the deadline. */
  isDrained: boolean;
  /** Requests still unanswered at the deadline, whose connections were cut. */
  cut: number;
}

export interface DrainableServer {
  server: http.Server;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets the requests in flight finish and closes keep-alive
   * connections as they fall idle; at `deadline` (epoch ms) whatever is left is cut.
   */
  drain(deadline: number): Promise<DrainResult>;
}

/**
 * An HTTP server that can stop without cutting anyone off. `server.close()` alone waits for
 * keep-alive connections that were busy when it was called: once answered they sit idle until
 * their keep-alive timeout (65 s here, longer than any shutdown limit). So every response written
 * during shutdown says `Connection: close` — a well-behaved client then opens its next request
 * elsewhere instead of racing our close — and connections that still fall idle (their response
 * had started before shutdown) are closed as soon as they do.
 */
export function createDrainableServer(handler: http.RequestListener): DrainableServer {
  const unanswered = new Set<http.ServerResponse>();
  let isDraining = false;
  const server = http.createServer((req, res) => {
    unanswered.add(res);
    res.once('close', () => {
      unanswered.delete(res);
      // 'close' comes after the socket is released; it is idle by the next turn of the loop.
      if (isDraining) setImmediate(() => server.closeIdleConnections());
    });
    if (isDraining) res.setHeader('Connection', 'close');
    handler(req, res);
  });

  return {
    server,
    get inFlight() {
      return unanswered.size;
    },
    async drain(deadline) {
      isDraining = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() stops accepting and (Node 19+) closes the idle connections; said here for clarity.
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      });
      const isDrained = await Promise.race([closed.then(() => true as const), late]);
      clearTimeout(timer);
      if (isDrained) return { isDrained, cut: 0 };
      const cut = unanswered.size;
      server.closeAllConnections();
      await closed;
      return { isDrained, cut };
    },
  };
}
