import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Like the service dying: every proxied connection is cut and new ones are refused. */
  stop(): Promise<void>;
  /** Like the service coming back, on the same port. */
  start(): Promise<void>;
  /** Like a network partition that drops packets: connections stay open, nothing gets through either way. */
  hold(): void;
  /** Dies (as stop(), its connections reset) at the first client bytes that `matches`, before they reach the service: a failure at an exact moment. */
  stopAt(matches: (chunk: Buffer) => boolean): Promise<void>;
  /**
   * Holds the first client bytes that `matches` (and what that connection sends after them) before
   * they reach the service, until `release()`: one request stopped at an exact step, e.g. a write
   * after its read, while others go on over the pool's other connections.
   */
  holdAt(matches: (chunk: Buffer) => boolean): HeldWrite;
  close(): Promise<void>;
}

export interface HeldWrite {
  /** Settles once the matching bytes arrived and are being held. */
  readonly held: Promise<void>;
  /** Sends what was held, in order, and lets the connection flow again. */
  release(): void;
}

/**
 * A TCP proxy on loopback in front of a real service, so a test can take the service "down" for
 * one client without stopping it for the other test files that share it.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let trap: { matches: (chunk: Buffer) => boolean; sprung: () => void } | undefined;
  let holding = false;
  let holdTrap: { matches: (chunk: Buffer) => boolean; caught: (socket: Socket) => void } | undefined;
  const heldBack = new Map<Socket, { chunks: Buffer[]; forward: (chunk: Buffer) => void }>();

  const pipe = (client: Socket) => {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk: Buffer) => { if (!holding) client.write(chunk); });
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
    const forward = (chunk: Buffer) => {
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    };
    client.on('data', (chunk: Buffer) => {
      if (holding) return;
      if (holdTrap?.matches(chunk)) {
        const { caught } = holdTrap;
        holdTrap = undefined;
        heldBack.set(client, { chunks: [], forward });
        caught(client);
      }
      const waiting = heldBack.get(client);
      if (waiting) {
        waiting.chunks.push(chunk);
      } else if (trap?.matches(chunk)) {
        const { sprung } = trap;
        trap = undefined;
        void stop(true).then(sprung);
      } else {
        forward(chunk);
      }
    });
  };

  const listen = () => new Promise<void>((resolve, reject) => {
    const next = createServer(pipe);
    next.once('error', reject);
    next.listen(port, '127.0.0.1', () => {
      port = (next.address() as { port: number }).port;
      server = next;
      resolve();
    });
  });

  // close() stops accepting at once but waits for open connections: so cut them, then wait. `reset`:
  // with a TCP reset rather than a FIN (stopAt). Cut with a FIN in the middle of traffic, the MongoDB
  // driver's monitor, whose hello was on its way, sometimes waited for its answer forever, and
  // /health/ready never came back (databaseBack timed out, even after 45 s, in about half the runs of
  // verification-link-retry on two busy cores; none in 3 runs with the reset).
  const stop = async (reset = false) => {
    const closing = server;
    server = undefined;
    const closed = new Promise<void>((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
    for (const socket of sockets) {
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
    await closed;
  };

  await listen();
  return {
    get port() { return port; },
    stop: () => stop(),
    start: async () => { holding = false; await listen(); },
    hold: () => { holding = true; },
    stopAt: (matches) => new Promise<void>((sprung) => { trap = { matches, sprung }; }),
    holdAt: (matches) => {
      let socket: Socket | undefined;
      const held = new Promise<void>((resolve) => { holdTrap = { matches, caught: (client) => { socket = client; resolve(); } }; });
      return {
        held,
        release: () => {
          if (!socket) return;
          const waiting = heldBack.get(socket);
          heldBack.delete(socket);
          for (const chunk of waiting?.chunks ?? []) waiting!.forward(chunk);
        },
      };
    },
    close: () => stop(),
  };
}
