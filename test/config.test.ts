import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, trustProxyWarning } from '../src/config.ts';

const productionKeys = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://mcp.example.com',
  OAUTH_JWKS: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k1' }] }),
  COOKIE_KEYS: 'a'.repeat(32),
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe('configuration', () => {
  it('starts with embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.mcpResource).toBe('http://localhost:3000/mcp');
    expect(config.mittwald.redirectUri).toBe('http://localhost:3000/mittwald/callback');
    expect(config.mittwald.authorizationUrl).toBe('https://api.mittwald.de/v2/oauth2/authorize');
    expect(config.redis).toBeUndefined();
    expect(config.keys.generated).toBe(true);
    expect(config.keys.tokenEncryptionKeys[0]).toHaveLength(32);
    expect(config.mittwald.scopes.defaults).toEqual(['user:read', 'customer:read', 'project:read', 'app:read']);
  });

  it('keeps warm mw children by default, within CLI_MAX_CONCURRENT, and none when the pool is off', () => {
    expect(loadConfig({}).cli.pool).toEqual({ min: 1, max: 4, idleMs: 120_000, preload: 'commands' });
    expect(loadConfig({ CLI_MAX_CONCURRENT: '2' }).cli.pool).toMatchObject({ min: 1, max: 2 });
    expect(loadConfig({ CLI_POOL_MIN: '0', CLI_POOL_MAX: '6', CLI_POOL_IDLE_MS: '5000', CLI_POOL_PRELOAD: 'config' }).cli.pool).toEqual({
      min: 0,
      max: 6,
      idleMs: 5000,
      preload: 'config',
    });
    expect(loadConfig({ CLI_POOL: 'off' }).cli.pool).toBeUndefined();
  });

  it("reuses a principal's mw child by default, within the documented limits, and not at all when switched off", () => {
    expect(loadConfig({}).cli.childLife).toEqual({ reuse: true, idleMs: 120_000, maxCalls: 200, maxAgeMs: 1_800_000, maxRssBytes: 512 * 1024 * 1024 });
    expect(loadConfig({ CLI_CHILD_REUSE: 'off' }).cli.childLife.reuse).toBe(false);
    expect(loadConfig({ CLI_CHILD_MAX_CALLS: '1', CLI_CHILD_MAX_RSS_MB: '300' }).cli.childLife).toMatchObject({ maxCalls: 1, maxRssBytes: 300 * 1024 * 1024 });
  });

  it.each([
    ['more warm children than calls may run', { CLI_POOL_MAX: '9' }, /CLI_POOL_MAX=9 is more than CLI_MAX_CONCURRENT=8/],
    ['a minimum above the maximum', { CLI_POOL_MIN: '3', CLI_POOL_MAX: '2' }, /CLI_POOL_MIN=3 is more than CLI_POOL_MAX=2/],
    ['an idle time below a second', { CLI_POOL_IDLE_MS: '10' }, /CLI_POOL_IDLE_MS/],
    ['a preload it does not know', { CLI_POOL_PRELOAD: 'everything' }, /CLI_POOL_PRELOAD/],
    ['too few child uids for the running calls, their clean-ups and the warm children', { CLI_CHILD_UIDS: '60100-60118' }, /19 uids are too few for CLI_MAX_CONCURRENT=8 and CLI_POOL_MAX=4 \(at least 20\)/],
  ])('refuses %s', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('needs no uids for warm children when the pool is off', () => {
    expect(() => loadConfig({ CLI_CHILD_UIDS: '60100-60115', CLI_POOL: 'off' })).not.toThrow();
  });

  it('derives the redirect URI and resource from PUBLIC_URL without a trailing slash', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://mcp.example.com/' });
    expect(config.publicUrl).toBe('https://mcp.example.com');
    expect(config.mcpResource).toBe('https://mcp.example.com/mcp');
    expect(config.mittwald.redirectUri).toBe('https://mcp.example.com/mittwald/callback');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PUBLIC_URL', 'mcp.example.com'],
    ['REDIS_URL', 'localhost:6379'],
    ['LOG_LEVEL', 'loud'],
    ['CLI_TIMEOUT_MS', '-5'],
    ['CLI_CHILD_REUSE', 'yes'],
    ['CLI_CHILD_MAX_CALLS', '0'],
    ['CLI_CHILD_IDLE_MS', '-1'],
    ['CLI_CHILD_MAX_AGE_MS', '0'],
    ['CLI_CHILD_MAX_RSS_MB', '10'],
    ['TOKEN_ENCRYPTION_KEY', 'too-short'],
  ])('names the bad variable %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it.each([
    ['172.30.0.1', ['172.30.0.1']],
    ['10.0.0.0/8, fd00::/8,loopback', ['10.0.0.0/8', 'fd00::/8', 'loopback']],
  ])('reads TRUST_PROXY=%s as the proxies\' addresses, without a warning', (value, addresses) => {
    const { trustProxy } = loadConfig({ TRUST_PROXY: value });
    expect(trustProxy).toEqual(addresses);
    expect(trustProxyWarning(trustProxy)).toBeUndefined();
  });

  it.each(['1', 'true'])('keeps TRUST_PROXY=%s, with a warning that any connection then names its own address', (value) => {
    expect(trustProxyWarning(loadConfig({ TRUST_PROXY: value }).trustProxy)).toMatch(/trusts X-Forwarded-For from any connection/);
  });

  it.each(['proxy.example', '10.0.0.0/33', '1.2.3.4/8/8', 'everyone'])('refuses TRUST_PROXY=%s, naming the variable', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY: /);
  });

  it('never echoes a secret value in its error', () => {
    expect(() => loadConfig({ TOKEN_ENCRYPTION_KEY: 'super-secret-value' })).toThrow(/TOKEN_ENCRYPTION_KEY=\(hidden\)/);
  });

  it('refuses to start in production without real keys', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://mcp.example.com' })).toThrow(
      /OAUTH_JWKS, COOKIE_KEYS, TOKEN_ENCRYPTION_KEY/,
    );
  });

  it('refuses a plain-http public URL in production', () => {
    expect(() => loadConfig({ ...productionKeys, PUBLIC_URL: 'http://mcp.example.com' })).toThrow(/https/);
  });

  it('accepts production with keys and reports them as not generated', () => {
    const config = loadConfig(productionKeys);
    expect(config.production).toBe(true);
    expect(config.keys.generated).toBe(false);
    expect(config.host).toBe('0.0.0.0');
    expect(config.log.format).toBe('json');
  });

  it('requires METRICS_USER and METRICS_PASS together', () => {
    expect(() => loadConfig({ METRICS_USER: 'prom' })).toThrow(/METRICS_USER and METRICS_PASS/);
    expect(loadConfig({ METRICS_USER: 'prom', METRICS_PASS: 'secret' }).metrics.basicAuth).toEqual({ user: 'prom', pass: 'secret' });
  });

  it('reports an unreadable scope file by its variable', () => {
    expect(() => loadConfig({ MITTWALD_SCOPE_CONFIG_PATH: './does-not-exist.json' })).toThrow(/MITTWALD_SCOPE_CONFIG_PATH/);
  });
});

describe('how to reach Redis', () => {
  it('takes one Redis, Sentinel or a Cluster', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@redis:6380' }).redis).toEqual({ form: 'single', url: 'rediss://:pw@redis:6380' });
    expect(
      loadConfig({ REDIS_SENTINELS: 's1:26379, s2:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 'sp', REDIS_PASSWORD: 'dp', REDIS_TLS: 'true' }).redis,
    ).toEqual({
      form: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'mymaster',
      sentinelPassword: 'sp',
      password: 'dp',
      tls: true,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' }).redis).toEqual({
      form: 'cluster',
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }],
      password: undefined,
      tls: false,
    });
  });

  it.each([
    ['two forms', { REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'c:7000' }, /one way to reach Redis, not several: REDIS_URL; REDIS_CLUSTER_NODES/],
    ['three forms', { REDIS_URL: 'redis://r:6379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'c:7000' }, /REDIS_URL; REDIS_SENTINELS with REDIS_SENTINEL_NAME; REDIS_CLUSTER_NODES/],
    ['sentinels without the primary\'s name', { REDIS_SENTINELS: 's:26379' }, /REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together/],
    ['a name without sentinels', { REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together/],
    ['a node without a port', { REDIS_CLUSTER_NODES: 'c:7000,d' }, /REDIS_CLUSTER_NODES/],
    ['a port out of range', { REDIS_CLUSTER_NODES: 'c:70000' }, /REDIS_CLUSTER_NODES: c:70000 has no port/],
    ['a password beside REDIS_URL', { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'x' }, /with REDIS_URL, put them in the URL/],
    ['a sentinel password for a cluster', { REDIS_CLUSTER_NODES: 'c:7000', REDIS_SENTINEL_PASSWORD: 'x' }, /REDIS_SENTINEL_PASSWORD is for REDIS_SENTINELS/],
    ['a password and no Redis', { REDIS_PASSWORD: 'x' }, /REDIS_PASSWORD set without REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES/],
  ])('refuses %s, naming the variables', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
