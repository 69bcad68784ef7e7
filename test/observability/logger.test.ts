import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { runInRequestScope } from '../../src/observability/request-scope.ts';

// Values shaped like the real ones: oidc-provider's opaque tokens and codes are 43 base64url characters.
const opaque = () => randomBytes(32).toString('base64url');
const jwt = () =>
  [{ alg: 'ES256', typ: 'JWT' }, { sub: 'user-1', exp: 2 }]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.') + `.${opaque()}`;

function capturedLogger(options: { level?: string; format?: 'json' | 'pretty' } = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: options.level ?? 'debug', format: options.format ?? 'json', stream });
  const written = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return lines;
  };
  return { logger, written };
}

async function oneLine(log: (logger: Logger) => void): Promise<{ text: string; json: Record<string, unknown> }> {
  const { logger, written } = capturedLogger();
  log(logger);
  const lines = await written();
  expect(lines).toHaveLength(1);
  return { text: lines[0], json: JSON.parse(lines[0]) as Record<string, unknown> };
}

describe('logger redaction', () => {
  it('hides an Authorization header and cookies but keeps the other headers', async () => {
    const token = opaque();
    const { text, json } = await oneLine((logger) =>
      logger.info('incoming request', {
        headers: { authorization: `Bearer ${token}`, cookie: `_session=${opaque()}`, 'user-agent': 'claude-code/1.0', accept: 'text/event-stream' },
      }),
    );
    expect(text).not.toContain(token);
    expect(text).not.toContain('_session=');
    expect(json.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'claude-code/1.0', accept: 'text/event-stream' });
    expect(json.message).toBe('incoming request');
    expect(json.level).toBe('info');
  });

  it('hides code and state in a callback URL but keeps the path and harmless parameters', async () => {
    const code = opaque();
    const state = opaque();
    const { text, json } = await oneLine((logger) =>
      logger.info('mittwald callback', { url: `https://mcp.example.com/mittwald/callback?code=${code}&state=${state}&iss=https%3A%2F%2Fapi.mittwald.de` }),
    );
    expect(text).not.toContain(code);
    expect(text).not.toContain(state);
    expect(json.url).toBe('https://mcp.example.com/mittwald/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fapi.mittwald.de');
  });

  it('hides the secrets of a token endpoint form body, whether logged as text or parsed', async () => {
    const code = opaque();
    const verifier = opaque();
    const refresh = opaque();
    const secondCode = opaque();
    const body = `grant_type=authorization_code&code=${code}&code_verifier=${verifier}&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&client_id=abc123`;
    const { text, json } = await oneLine((logger) =>
      logger.warn('token request rejected', {
        rawBody: body,
        body: { grant_type: 'refresh_token', refresh_token: refresh, client_id: 'abc123', client_secret: 'hunter2-hunter2' },
        upstreamBody: { grant_type: 'authorization_code', code: secondCode, redirect_uri: 'https://mcp.example.com/mittwald/callback' },
      }),
    );
    for (const secret of [code, verifier, refresh, secondCode, 'hunter2-hunter2']) expect(text).not.toContain(secret);
    expect(json.rawBody).toBe('grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&client_id=abc123');
    expect(json.body).toEqual({ grant_type: 'refresh_token', refresh_token: '[redacted]', client_id: 'abc123', client_secret: '[redacted]' });
    expect(json.upstreamBody).toEqual({ grant_type: 'authorization_code', code: '[redacted]', redirect_uri: 'https://mcp.example.com/mittwald/callback' });
  });

  it('hides a bearer token inside a library error message and stack, keeping the error code', async () => {
    const token = opaque();
    const error = Object.assign(new Error(`request to https://api.mittwald.de/v2/users/self failed, Authorization: Bearer ${token}`), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    });
    const { text, json } = await oneLine((logger) => logger.error('mittwald unreachable', { error }));
    expect(text).not.toContain(token);
    const logged = json.error as Record<string, unknown>;
    expect(logged.code).toBe('ECONNREFUSED');
    expect(logged.syscall).toBe('connect');
    expect(logged.name).toBe('Error');
    expect(logged.message).toBe('request to https://api.mittwald.de/v2/users/self failed, Authorization: Bearer [redacted]');
    expect(String(logged.stack)).toContain('Bearer [redacted]');
    expect(String(logged.stack)).toContain('logger.test.ts');
  });

  it('hides secrets in an error logged directly and in its cause', async () => {
    const refresh = opaque();
    const cause = new Error(`upstream said {"error":"invalid_grant","refresh_token":"${refresh}"}`);
    const error = new Error('refresh failed', { cause });
    const { text, json } = await oneLine((logger) => logger.error(error));
    expect(text).not.toContain(refresh);
    expect(json.message).toBe('refresh failed');
    expect((json.cause as Record<string, unknown>).message).toBe('upstream said {"error":"invalid_grant","refresh_token":"[redacted]"}');
  });

  it('hides tokens in nested structures and arrays at any depth', async () => {
    const access = opaque();
    const mittwaldToken = opaque();
    const { text, json } = await oneLine((logger) =>
      logger.debug('grant stored', {
        grant: { accountId: 'f1c9f0b6-5e8c-4f4e-9d4b-0e5e6a1f2c3d', scopes: ['project:read'], upstream: { accessToken: mittwaldToken, expiresIn: 3600 } },
        issued: [{ token_type: 'Bearer', access_token: access, expires_in: 1800 }],
      }),
    );
    expect(text).not.toContain(access);
    expect(text).not.toContain(mittwaldToken);
    expect(json.grant).toEqual({
      accountId: 'f1c9f0b6-5e8c-4f4e-9d4b-0e5e6a1f2c3d',
      scopes: ['project:read'],
      upstream: { accessToken: '[redacted]', expiresIn: 3600 },
    });
    expect(json.issued).toEqual([{ token_type: 'Bearer', access_token: '[redacted]', expires_in: 1800 }]);
  });

  it('hides MITTWALD_API_TOKEN, --token flags and bare opaque tokens in free text', async () => {
    const token = opaque();
    const other = opaque();
    const { text, json } = await oneLine((logger) =>
      logger.warn(`child env MITTWALD_API_TOKEN=${token} argv: mw project list --token ${other} --output json`),
    );
    expect(text).not.toContain(token);
    expect(text).not.toContain(other);
    expect(json.message).toBe('child env MITTWALD_API_TOKEN=[redacted] argv: mw project list --token [redacted] --output json');
  });

  it('hides JWTs and bare opaque tokens in prose but keeps UUIDs and identifiers', async () => {
    const idToken = jwt();
    const access = opaque();
    const { text, json } = await oneLine((logger) =>
      logger.info(`verified ${idToken} then looked up ${access} for project 4c6f2a3e-1b9d-4f8a-a6c2-7d1e9b0f3a5c in mittwald_cli_calls_total`),
    );
    expect(text).not.toContain(idToken.split('.')[2]);
    expect(text).not.toContain(access);
    expect(json.message).toBe('verified [redacted] then looked up [redacted] for project 4c6f2a3e-1b9d-4f8a-a6c2-7d1e9b0f3a5c in mittwald_cli_calls_total');
  });

  it('hides the password of a Redis URL', async () => {
    const { json } = await oneLine((logger) => logger.error('store unavailable: connect redis://:s3cr3t-pass@redis:6379 failed'));
    expect(json.message).toBe('store unavailable: connect redis://:[redacted]@redis:6379 failed');
  });

  it('keeps prose that merely names an auth scheme', async () => {
    const { json } = await oneLine((logger) => logger.info('invalid bearer token; basic auth required for /metrics'));
    expect(json.message).toBe('invalid bearer token; basic auth required for /metrics');
  });

  it('hides Basic credentials, however short', async () => {
    const { json } = await oneLine((logger) => logger.info(`scrape with Basic ${Buffer.from('u:p').toString('base64')}`));
    expect(json.message).toBe('scrape with Basic [redacted]');
  });

  it('keeps a WWW-Authenticate challenge readable', async () => {
    const challenge = 'Bearer realm="mcp", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"';
    const { json } = await oneLine((logger) => logger.info('challenge sent', { wwwAuthenticate: challenge }));
    expect(json.wwwAuthenticate).toBe(challenge);
  });

  it('survives circular structures', async () => {
    const node: Record<string, unknown> = { name: 'loop', secret: 'x' };
    node.self = node;
    const { json } = await oneLine((logger) => logger.info('odd object', { node }));
    expect(json.node).toEqual({ name: 'loop', secret: '[redacted]', self: '[circular]' });
  });
});

describe('logger lines', () => {
  it('writes one JSON line per event with timestamp, level and the current request id', async () => {
    const { logger, written } = capturedLogger();
    runInRequestScope('req-1234', () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = (await written()).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ level: 'info', message: 'inside', requestId: 'req-1234' });
    expect(Date.parse(String(inside.timestamp))).not.toBeNaN();
    expect(outside.requestId).toBeUndefined();
  });

  it('keeps the request id through awaits', async () => {
    const { logger, written } = capturedLogger();
    await runInRequestScope('req-async', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.info('later');
    });
    expect(JSON.parse((await written())[0]).requestId).toBe('req-async');
  });

  it('drops events below the configured level', async () => {
    const { logger, written } = capturedLogger({ level: 'info' });
    logger.http('access line');
    logger.debug('detail');
    logger.info('kept');
    const lines = await written();
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['kept']);
  });

  it('writes readable, redacted lines in pretty format', async () => {
    const token = opaque();
    const { logger, written } = capturedLogger({ format: 'pretty' });
    runInRequestScope('req-pretty', () => logger.warn('refresh failed', { grantId: 'g-1', refreshToken: token }));
    const [line] = await written();
    expect(line).not.toContain(token);
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+ \S*warn\S* \[req-pretty\] refresh failed \{"grantId":"g-1","refreshToken":"\[redacted\]"\}$/);
  });
});

describe('error codes are context', () => {
  it('keeps the code of a system error and of an OAuth error response', async () => {
    const { json } = await oneLine((logger) =>
      logger.warn('upstream failed', { error: { code: 'ERR_SOCKET_TIMEOUT' }, response: { status: 400, code: 'invalid_grant' }, text: 'exit code=ENOENT' }),
    );
    expect(json.error).toEqual({ code: 'ERR_SOCKET_TIMEOUT' });
    expect(json.response).toEqual({ status: 400, code: 'invalid_grant' });
    expect(json.text).toBe('exit code=ENOENT');
  });
});
