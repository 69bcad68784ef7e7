// A local stand-in for api.mittwald.de: seeded per-user data, token checks, a request log, and an outage switch.
// Tests point the (stand-in) `mw` CLI at it with MITTWALD_API_BASE_URL=<url>.
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, sendApiError } from './api-error.ts';
import { createSeedState, SEED_USERS, type SeedUser } from './fixtures.ts';
import { createReadiness } from './readiness.ts';
import { createApiRoutes } from './routes.ts';
import type { SimulatorState } from './state.ts';

export { SEED_USERS, SEED_APPS, SEED_CONVERSATION_CATEGORIES, seedUuid } from './fixtures.ts';
export type { SeedUser, SeedProject } from './fixtures.ts';

export interface RecordedRequest {
  method: string;
  /** path without the query string */
  path: string;
  /** the token the caller sent (x-access-token or Authorization: Bearer), if any */
  token: string | undefined;
  /** the user the token belongs to, if the token was valid */
  userId: string | undefined;
  status: number;
}

export interface MittwaldApiSimulatorOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** tokens valid from the start: token → userId */
  tokens?: Record<string, string>;
  /** how long a project or backup created through the API stays not ready (default 0: ready at once) */
  readinessDelayMs?: number;
}

export interface MittwaldApiSimulator {
  /** origin, e.g. http://127.0.0.1:41234 (the client's paths already start with /v2/) */
  url: string;
  /** every request seen, in order */
  requests: RecordedRequest[];
  clearRequests(): void;
  /** the seeded users (their organisation, server and projects) */
  users: readonly SeedUser[];
  /** live data, for assertions such as "the project is gone" */
  state: SimulatorState;
  grantToken(token: string, userId: string): void;
  revokeToken(token: string): void;
  /** from now on, new projects and backups become ready after this many ms (what `--wait` polls for) */
  setReadinessDelay(delayMs: number): void;
  /** while down, new connections are destroyed and open ones closed */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

function tokenOf(req: Request): string | undefined {
  const header = req.get('x-access-token');
  if (header) return header;
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return bearer?.[1];
}

export async function startMittwaldApiSimulator(options: MittwaldApiSimulatorOptions = {}): Promise<MittwaldApiSimulator> {
  const state = createSeedState();
  const readiness = createReadiness(options.readinessDelayMs);
  const tokens = new Map<string, string>(Object.entries(options.tokens ?? {}));
  const requests: RecordedRequest[] = [];

  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const token = tokenOf(req);
    const userId = token === undefined ? undefined : tokens.get(token);
    res.on('finish', () => requests.push({ method: req.method, path: req.path, token, userId, status: res.statusCode }));
    if (!userId || !state.users.has(userId)) return sendApiError(res, ApiError.unauthorized());
    res.locals.userId = userId;
    next();
  });
  app.use(express.json({ limit: '1mb' }));
  app.use(createApiRoutes(state, readiness));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ApiError) return sendApiError(res, error);
    // body-parser errors (malformed JSON, too large) carry a 4xx status: the caller's fault, never a 5xx
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) return sendApiError(res, new ApiError(400, 'ValidationError', String((error as Error).message)));
    sendApiError(res, new ApiError(500, 'InternalServerError', 'the simulator failed; this is a bug in the test double'));
  });

  let down = false;
  const sockets = new Set<Socket>();
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  server.on('connection', (socket: Socket) => {
    if (down) return socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clearRequests: () => void requests.splice(0),
    users: SEED_USERS,
    state,
    grantToken: (token, userId) => void tokens.set(token, userId),
    revokeToken: (token) => void tokens.delete(token),
    setReadinessDelay: (delayMs) => void (readiness.delayMs = delayMs),
    setDown(isDown) {
      down = isDown;
      if (isDown) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        readiness.close();
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
