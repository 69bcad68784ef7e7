// The host side of a deployment, as test:docker plays it: a TLS reverse proxy in front of the
// published port (PUBLIC_URL is https in production, and the README puts such a proxy there), and
// TCP forwarders through which the containers reach the simulators, which listen on loopback only.
import { once } from 'node:events';
import { request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export interface Forwarder extends Listener {
  /** hold new connections until resume(): a call waits on its API request for as long as needed */
  pause(): void;
  resume(): void;
}

/** https://127.0.0.1:<port> → http://127.0.0.1:<target>, sending Host and X-Forwarded-* as nginx does. */
export async function startTlsProxy(options: { key: string; cert: string; targetPort: number }): Promise<Listener> {
  const server = createHttpsServer({ key: options.key, cert: options.cert }, (incoming, outgoing) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: options.targetPort,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': incoming.socket.remoteAddress },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing); // streamed: MCP answers may be event streams
        answer.on('error', () => outgoing.destroy()); // the server went away mid-answer (a restart)
      },
    );
    upstream.on('error', () => {
      if (outgoing.headersSent) outgoing.destroy();
      else outgoing.writeHead(502).end();
    });
    incoming.on('error', () => upstream.destroy());
    incoming.pipe(upstream);
  });
  return listen(server, '127.0.0.1');
}

/** 0.0.0.0:<port> → 127.0.0.1:<target>: inside the engine's network namespace, for the containers only. */
export async function startForwarder(targetPort: number): Promise<Forwarder> {
  let held: Socket[] | undefined;
  const forward = (socket: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
    socket.resume();
  };
  const server = createServer({ pauseOnConnect: true }, (socket) => (held ? held.push(socket) : forward(socket)));
  const listener = await listen(server, '0.0.0.0');
  return {
    ...listener,
    pause: () => void (held ??= []),
    resume() {
      const waiting = held ?? [];
      held = undefined;
      waiting.forEach(forward);
    },
  };
}

async function listen(server: Server, host: string): Promise<Listener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
