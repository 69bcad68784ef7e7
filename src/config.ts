// Every setting, read once from the environment and validated here. Nothing below this module reads
// process.env: the validated AppConfig is passed down.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

/**
 * Where the files the server ships with live (scopes.json, config/tools.json): defaults resolve
 * here, so the server starts from any directory. Paths set explicitly resolve against the cwd.
 */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** the mittwald OAuth client of the deployment it was registered for (see src/oauth/mittwald/default-client.ts) */
export const DEFAULT_MITTWALD_CLIENT_ID = 'mittwald-mcp-server';

const httpUrl = { type: 'string', pattern: '^https?://[^\\s]+$' };
const positiveInt = { type: 'integer', minimum: 1 };
const flag = { type: 'boolean' };
const onOff = { enum: ['on', 'off'] };
/** host:port,host:port (a name or an IPv4 address; IPv6 in brackets) */
const hostPortList = '^\\s*(\\[[0-9a-fA-F:.]+\\]|[\\w.-]+):\\d{1,5}\\s*(,\\s*(\\[[0-9a-fA-F:.]+\\]|[\\w.-]+):\\d{1,5}\\s*)*$';

// Property names are the environment variable names, so a validation error names the bad variable.
const environmentSchema = {
  type: 'object',
  properties: {
    NODE_ENV: { type: 'string' },
    HOST: { type: 'string', minLength: 1 },
    PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    PUBLIC_URL: httpUrl,
    TRUST_PROXY: { type: 'string', pattern: '^(true|false|\\d+|[\\w.:/,\\s-]+)$' },
    LOG_LEVEL: { enum: ['error', 'warn', 'info', 'http', 'debug'] },
    LOG_FORMAT: { enum: ['json', 'pretty'] },
    MITTWALD_AUTHORIZATION_URL: httpUrl,
    MITTWALD_TOKEN_URL: httpUrl,
    MITTWALD_CLIENT_ID: { type: 'string', minLength: 1 },
    MITTWALD_REDIRECT_URI: httpUrl,
    MITTWALD_SCOPE_CONFIG_PATH: { type: 'string', minLength: 1 },
    MITTWALD_API_BASE_URL: { type: 'string', pattern: '^https?://[^/\\s]+/?$' },
    MITTWALD_HTTP_TIMEOUT_MS: positiveInt,
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    REDIS_SENTINELS: { type: 'string', pattern: hostPortList },
    REDIS_SENTINEL_NAME: { type: 'string', pattern: '^[\\w.-]+$' },
    REDIS_SENTINEL_PASSWORD: { type: 'string', minLength: 1 },
    REDIS_CLUSTER_NODES: { type: 'string', pattern: hostPortList },
    REDIS_PASSWORD: { type: 'string', minLength: 1 },
    REDIS_TLS: flag,
    MEMORY_STORE_MAX_MB: { type: 'integer', minimum: 16 },
    OAUTH_JWKS: { type: 'string', minLength: 2 },
    COOKIE_KEYS: { type: 'string', pattern: '^[^,]{32,}(,[^,]{32,})*$' },
    TOKEN_ENCRYPTION_KEY: { type: 'string', pattern: '^[A-Za-z0-9+/_-]{43}=?(,[A-Za-z0-9+/_-]{43}=?)*$' },
    ACCESS_TOKEN_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 86400 },
    REFRESH_TOKEN_TTL_SECONDS: { type: 'integer', minimum: 3600 },
    REFRESH_TOKEN_GRACE_SECONDS: { type: 'integer', minimum: 0, maximum: 300 },
    DCR_RATE_LIMIT_PER_HOUR: positiveInt,
    AUTHORIZE_RATE_LIMIT_PER_MINUTE: positiveInt,
    AUTHORIZE_MAX_PENDING: { type: 'integer', minimum: 100 },
    CIMD_ENABLED: flag,
    DIRECT_API_TOKENS: flag,
    DIRECT_API_TOKEN_CHECKS_PER_MINUTE: positiveInt,
    DIRECT_API_TOKEN_CHECKS_PER_ADDRESS: positiveInt,
    ALLOWED_ORIGINS: { type: 'string' },
    MW_CLI: { type: 'string', minLength: 1 },
    CLI_TIMEOUT_MS: positiveInt,
    CLI_MAX_TIMEOUT_MS: positiveInt,
    CLI_MAX_CONCURRENT: positiveInt,
    CLI_MAX_PER_USER: positiveInt,
    CLI_MAX_QUEUE: { type: 'integer', minimum: 0 },
    CLI_MAX_OUTPUT_BYTES: positiveInt,
    CLI_COMPILE_CACHE_DIR: { type: 'string', minLength: 1 },
    CLI_POOL: onOff,
    CLI_POOL_MIN: { type: 'integer', minimum: 0 },
    CLI_POOL_MAX: positiveInt,
    CLI_POOL_IDLE_MS: { type: 'integer', minimum: 1000 },
    CLI_POOL_PRELOAD: { enum: ['config', 'commands'] },
    CLI_CHILD_REUSE: onOff,
    CLI_CHILD_IDLE_MS: { type: 'integer', minimum: 1000 },
    CLI_CHILD_MAX_CALLS: positiveInt,
    CLI_CHILD_MAX_AGE_MS: { type: 'integer', minimum: 1000 },
    CLI_CHILD_MAX_RSS_MB: { type: 'integer', minimum: 64 },
    STATE_DIR: { type: 'string', pattern: '^/' },
    CLI_SANDBOX_FS: onOff,
    CLI_SANDBOX_READ_PATHS: { type: 'string', pattern: '^/[^,]*(,\\s*/[^,]*)*$' },
    CLI_LIMITS: onOff,
    CLI_LIMIT_MEMORY_MB: { type: 'integer', minimum: 768 },
    CLI_LIMIT_CPU_SECONDS: positiveInt,
    CLI_LIMIT_OPEN_FILES: { type: 'integer', minimum: 64 },
    CLI_LIMIT_FILE_SIZE_MB: positiveInt,
    CLI_LIMIT_PROCESSES: { type: 'integer', minimum: 16 },
    CLI_CHILD_UIDS: { type: 'string', pattern: '^(off|\\d+-\\d+)$' },
    CLI_SERVER_UID: { type: 'string', pattern: '^\\d+(:\\d+)?$' },
    CLI_UID_LEASE_DIR: { type: 'string', pattern: '^/' },
    CLI_ALLOW_UNISOLATED: flag,
    HTTPS_PROXY: { type: 'string' },
    HTTP_PROXY: { type: 'string' },
    NO_PROXY: { type: 'string' },
    NODE_EXTRA_CA_CERTS: { type: 'string', pattern: '^/' },
    TOOLS_OVERRIDES_PATH: { type: 'string', minLength: 1 },
    TOOLS_READ_ONLY: flag,
    TOOLS_TOPICS: { type: 'string', pattern: '^[a-z-]+(,[a-z-]+)*$' },
    METRICS_ENABLED: flag,
    METRICS_USER: { type: 'string', minLength: 1 },
    METRICS_PASS: { type: 'string', minLength: 1 },
    SHUTDOWN_GRACE_MS: positiveInt,
  },
} as const;

/** false: nobody; addresses: only a direct connection from these names the client; number/true: see trustProxyWarning */
export type TrustProxy = boolean | number | string[];

export type Jwk = Record<string, unknown> & { kty: string; kid?: string; alg?: string };

export interface ScopeCatalogue {
  /** scopes mittwald knows; requested scopes are forwarded upstream */
  upstream: string[];
  /** scopes clients may ask for that mittwald does not know (never forwarded) */
  oidc: string[];
  /** granted when a client asks for none */
  defaults: string[];
}

export interface AppConfig {
  production: boolean;
  host: string;
  port: number;
  /** origin the clients see, without trailing slash; also the OAuth issuer */
  publicUrl: string;
  /** the canonical MCP resource URI: publicUrl + /mcp */
  mcpResource: string;
  /** Express's `trust proxy`: the proxies' addresses and subnets, or (see trustProxyWarning) a hop count or true */
  trustProxy: TrustProxy;
  log: { level: string; format: 'json' | 'pretty' };
  mittwald: {
    authorizationUrl: string;
    tokenUrl: string;
    clientId: string;
    redirectUri: string;
    /** API origin (no /v2): used for the current-user lookup and handed to `mw` children */
    apiBaseUrl: string;
    /** true when MITTWALD_API_BASE_URL was set explicitly (then `mw` children get it too) */
    apiBaseUrlOverridden: boolean;
    httpTimeoutMs: number;
    scopes: ScopeCatalogue;
  };
  /** the shared store (README, "Running Redis highly available"); unset: in memory */
  redis?: RedisConfig;
  /** budget of the in-memory store (no Redis set), in bytes */
  memoryStoreMaxBytes: number;
  keys: {
    jwks: { keys: Jwk[] };
    cookieKeys: string[];
    /** first key encrypts; all keys are tried for decryption (rotation) */
    tokenEncryptionKeys: Buffer[];
    /** true when any key was generated at start (development only: they do not survive a restart) */
    generated: boolean;
  };
  tokens: { accessTokenTtl: number; refreshTokenTtl: number; refreshGraceSeconds: number };
  registration: { rateLimitPerHour: number; clientIdMetadataDocuments: boolean };
  authorization: {
    /** authorization requests per client address and minute (the sign-in pages allow a multiple) */
    ratePerAddressPerMinute: number;
    /** authorization requests admitted within one interaction lifetime, over all addresses */
    maxPending: number;
  };
  directApiTokens: boolean;
  /** lookups of unknown bearers at mittwald (DIRECT_API_TOKENS): at most this many per minute */
  directApiTokenChecks: { perMinute: number; perAddressPerMinute: number };
  allowedOrigins: string[];
  cli: {
    executable: string;
    timeoutMs: number;
    /** the longest a single call may run when it asks for more (commands that wait for their work) */
    maxTimeoutMs: number;
    maxConcurrent: number;
    maxPerUser: number;
    maxQueue: number;
    maxOutputBytes: number;
    /** PATH handed to `mw` children: the only part of the server's environment they see */
    childPath: string;
    /** NODE_COMPILE_CACHE for `mw` children: each call starts faster */
    compileCacheDir: string;
    /** proxy and CA variables handed to the children as they are (they hold no user secret) */
    passThroughEnvironment: Record<string, string>;
    isolation: IsolationConfig;
    /** warm children (CLI_POOL=off: undefined) */
    pool?: PoolConfig;
    /** how long a principal's child serves its calls (README, "Performance") */
    childLife: ChildLifeConfig;
  };
  tools: { overridesPath: string; readOnly: boolean; topics?: string[] };
  metrics: { enabled: boolean; basicAuth?: { user: string; pass: string } };
  shutdownGraceMs: number;
}

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** One Redis (REDIS_URL), a primary found through Sentinel, or a Redis Cluster: exactly one of them. */
export type RedisConfig =
  | { form: 'single'; url: string }
  | {
      form: 'sentinel';
      sentinels: RedisNodeAddress[];
      /** the primary's name the sentinels monitor */
      name: string;
      sentinelPassword?: string;
      /** the data nodes' password and TLS */
      password?: string;
      tls: boolean;
    }
  | { form: 'cluster'; nodes: RedisNodeAddress[]; password?: string; tls: boolean };

/** Warm `mw` children started ahead of need (README, "Warm children"). */
export interface PoolConfig {
  /** kept ready even when idle */
  min: number;
  /** at most this many ready and starting (≤ CLI_MAX_CONCURRENT) */
  max: number;
  /** a period this long without a call ends one waiting child, down to `min` */
  idleMs: number;
  /** what a warm child loads before it waits */
  preload: 'config' | 'commands';
}

/** A principal's `mw` child serves its calls until one of these ends it (README, "Performance"). */
export interface ChildLifeConfig {
  /** CLI_CHILD_REUSE=off: every call gets a child of its own */
  reuse: boolean;
  /** ended after this long without a call */
  idleMs: number;
  maxCalls: number;
  maxAgeMs: number;
  /** ended after a call that leaves it with more resident memory than this */
  maxRssBytes: number;
}

/** RLIMIT_* values of a child (layer 4). */
export interface ResourceLimits {
  /** RLIMIT_DATA: Node needs ~700 MiB of reservations to start; 1 GiB leaves mw room */
  memoryBytes: number;
  /** RLIMIT_CPU: SIGXCPU at this many CPU seconds, SIGKILL two seconds later */
  cpuSeconds: number;
  /** RLIMIT_NOFILE */
  openFiles: number;
  /** RLIMIT_FSIZE: SIGXFSZ when a file grows beyond it */
  fileSizeBytes: number;
  /** RLIMIT_NPROC (processes and threads of the uid): applied only with a per-call uid */
  processes: number;
}

/** Defaults of the resource limits (README, "Isolation"): generous for mw, fatal for /dev/zero. */
export const DEFAULT_LIMITS: ResourceLimits = {
  memoryBytes: 1024 * 1024 * 1024,
  cpuSeconds: 120,
  openFiles: 512,
  fileSizeBytes: 64 * 1024 * 1024,
  processes: 64,
};

/** What the operator asks of the wall between users (issue "a wall between users", layers 2 to 6). */
export interface IsolationConfig {
  /** private state: call directories under `calls/`, the server's own files under `server/` */
  stateDir: string;
  /** layer 2: Node's permission model for every child (CLI_SANDBOX_FS) */
  fileSystem: boolean;
  /** more paths children may read (CLI_SANDBOX_READ_PATHS) */
  extraReadPaths: string[];
  /** layer 4 (CLI_LIMITS=off: undefined) */
  limits?: ResourceLimits;
  /** layer 3: uids for the children when started as root (CLI_CHILD_UIDS=off: undefined) */
  childUids?: { first: number; last: number };
  /** where launchers on this host lease child uids, so two never run children on one uid at once */
  uidLeaseDir: string;
  /** the unprivileged uid and gid the server runs as under the launcher */
  serverUser: { uid: number; gid: number };
  /** production without layers 1, 2 or 4 (CLI_ALLOW_UNISOLATED) */
  allowUnisolated: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Environment = Record<string, string | undefined>;

export function loadConfig(env: Environment = process.env, cwd = process.cwd()): AppConfig {
  const raw = validatedEnvironment(env);
  const production = raw.NODE_ENV === 'production';
  const port = (raw.PORT as number | undefined) ?? 3000;
  const publicUrl = stripTrailingSlash((raw.PUBLIC_URL as string | undefined) ?? `http://localhost:${port}`);
  if (production) requireProductionSecrets(raw, publicUrl);

  const generated = !raw.OAUTH_JWKS || !raw.COOKIE_KEYS || !raw.TOKEN_ENCRYPTION_KEY;
  const str = (name: string) => raw[name] as string | undefined;
  const num = (name: string, fallback: number) => (raw[name] as number | undefined) ?? fallback;
  const bool = (name: string, fallback: boolean) => (raw[name] as boolean | undefined) ?? fallback;
  const list = (name: string) =>
    str(name)?.split(',').map((s) => s.trim()).filter(Boolean);

  const fileSetting = (name: string, shipped: string) => resolve(cwd, str(name) ?? join(PROJECT_ROOT, shipped));
  const scopePath = fileSetting('MITTWALD_SCOPE_CONFIG_PATH', 'scopes.json');
  const maxConcurrent = num('CLI_MAX_CONCURRENT', 8);
  const pool = poolConfig(raw, maxConcurrent);
  const isolation = isolationConfig(raw, env, maxConcurrent, pool?.max ?? 0);
  const metricsUser = str('METRICS_USER');
  const metricsPass = str('METRICS_PASS');
  if (Boolean(metricsUser) !== Boolean(metricsPass)) {
    throw new ConfigError('METRICS_USER and METRICS_PASS must be set together');
  }

  return {
    production,
    host: str('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port,
    publicUrl,
    mcpResource: `${publicUrl}/mcp`,
    trustProxy: parseTrustProxy(str('TRUST_PROXY')),
    log: {
      level: str('LOG_LEVEL') ?? 'info',
      format: (str('LOG_FORMAT') as 'json' | 'pretty' | undefined) ?? (production ? 'json' : 'pretty'),
    },
    mittwald: {
      authorizationUrl: str('MITTWALD_AUTHORIZATION_URL') ?? 'https://api.mittwald.de/v2/oauth2/authorize',
      tokenUrl: str('MITTWALD_TOKEN_URL') ?? 'https://api.mittwald.de/v2/oauth2/token',
      clientId: str('MITTWALD_CLIENT_ID') ?? DEFAULT_MITTWALD_CLIENT_ID,
      redirectUri: str('MITTWALD_REDIRECT_URI') ?? `${publicUrl}/mittwald/callback`,
      apiBaseUrl: stripTrailingSlash(str('MITTWALD_API_BASE_URL') ?? 'https://api.mittwald.de'),
      apiBaseUrlOverridden: str('MITTWALD_API_BASE_URL') !== undefined,
      httpTimeoutMs: num('MITTWALD_HTTP_TIMEOUT_MS', 10_000),
      scopes: loadScopeCatalogue(scopePath),
    },
    redis: redisConfig(raw),
    memoryStoreMaxBytes: num('MEMORY_STORE_MAX_MB', 256) * 1024 * 1024,
    keys: {
      jwks: str('OAUTH_JWKS') ? parseJwks(str('OAUTH_JWKS')!) : generateDevelopmentJwks(),
      cookieKeys: list('COOKIE_KEYS') ?? [randomBytes(32).toString('base64url')],
      tokenEncryptionKeys: (list('TOKEN_ENCRYPTION_KEY') ?? [randomBytes(32).toString('base64url')]).map(decodeKey),
      generated,
    },
    tokens: {
      accessTokenTtl: num('ACCESS_TOKEN_TTL_SECONDS', 1800),
      refreshTokenTtl: num('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600),
      refreshGraceSeconds: num('REFRESH_TOKEN_GRACE_SECONDS', 30),
    },
    registration: {
      rateLimitPerHour: num('DCR_RATE_LIMIT_PER_HOUR', 30),
      clientIdMetadataDocuments: bool('CIMD_ENABLED', true),
    },
    authorization: {
      ratePerAddressPerMinute: num('AUTHORIZE_RATE_LIMIT_PER_MINUTE', 60),
      maxPending: num('AUTHORIZE_MAX_PENDING', 10_000),
    },
    directApiTokens: bool('DIRECT_API_TOKENS', false),
    directApiTokenChecks: {
      perMinute: num('DIRECT_API_TOKEN_CHECKS_PER_MINUTE', 120),
      perAddressPerMinute: num('DIRECT_API_TOKEN_CHECKS_PER_ADDRESS', 10),
    },
    allowedOrigins: (list('ALLOWED_ORIGINS') ?? []).map(stripTrailingSlash),
    cli: {
      executable: str('MW_CLI') ?? 'mw',
      timeoutMs: num('CLI_TIMEOUT_MS', 60_000),
      maxTimeoutMs: Math.max(num('CLI_MAX_TIMEOUT_MS', 15 * 60_000), num('CLI_TIMEOUT_MS', 60_000)),
      maxConcurrent,
      maxPerUser: num('CLI_MAX_PER_USER', 3),
      maxQueue: num('CLI_MAX_QUEUE', 100),
      maxOutputBytes: num('CLI_MAX_OUTPUT_BYTES', 4 * 1024 * 1024),
      childPath: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      compileCacheDir: resolve(cwd, str('CLI_COMPILE_CACHE_DIR') ?? join(isolation.stateDir, 'compile-cache')),
      passThroughEnvironment: passThroughEnvironment(env),
      isolation,
      pool,
      childLife: {
        reuse: str('CLI_CHILD_REUSE') !== 'off',
        idleMs: num('CLI_CHILD_IDLE_MS', 120_000),
        maxCalls: num('CLI_CHILD_MAX_CALLS', 200),
        maxAgeMs: num('CLI_CHILD_MAX_AGE_MS', 30 * 60_000),
        maxRssBytes: num('CLI_CHILD_MAX_RSS_MB', 512) * 1024 * 1024,
      },
    },
    tools: {
      overridesPath: fileSetting('TOOLS_OVERRIDES_PATH', 'config/tools.json'),
      readOnly: bool('TOOLS_READ_ONLY', false),
      topics: list('TOOLS_TOPICS'),
    },
    metrics: {
      enabled: bool('METRICS_ENABLED', true),
      basicAuth: metricsUser && metricsPass ? { user: metricsUser, pass: metricsPass } : undefined,
    },
    shutdownGraceMs: num('SHUTDOWN_GRACE_MS', 10_000),
  };
}

function redisConfig(raw: Record<string, unknown>): RedisConfig | undefined {
  const str = (name: string) => raw[name] as string | undefined;
  const forms = [
    str('REDIS_URL') && 'REDIS_URL',
    (str('REDIS_SENTINELS') || str('REDIS_SENTINEL_NAME')) && 'REDIS_SENTINELS with REDIS_SENTINEL_NAME',
    str('REDIS_CLUSTER_NODES') && 'REDIS_CLUSTER_NODES',
  ].filter(Boolean);
  if (forms.length > 1) throw new ConfigError(`set one way to reach Redis, not several: ${forms.join('; ')}`);
  const password = str('REDIS_PASSWORD');
  const tls = (raw.REDIS_TLS as boolean | undefined) ?? false;
  const url = str('REDIS_URL');
  if (url) {
    if (password || tls) throw new ConfigError('REDIS_PASSWORD and REDIS_TLS are for Sentinel and Cluster: with REDIS_URL, put them in the URL (rediss://:password@host:port)');
    return { form: 'single', url };
  }
  if (forms.length === 0) {
    const stray = ['REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD', 'REDIS_TLS'].filter((name) => raw[name] !== undefined && raw[name] !== false);
    if (stray.length) throw new ConfigError(`${stray.join(', ')} set without REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`);
    return undefined;
  }
  const nodes = str('REDIS_CLUSTER_NODES');
  if (nodes) {
    if (str('REDIS_SENTINEL_PASSWORD')) throw new ConfigError('REDIS_SENTINEL_PASSWORD is for REDIS_SENTINELS, not REDIS_CLUSTER_NODES');
    return { form: 'cluster', nodes: parseHostPorts('REDIS_CLUSTER_NODES', nodes), password, tls };
  }
  const sentinels = str('REDIS_SENTINELS');
  const name = str('REDIS_SENTINEL_NAME');
  if (!sentinels || !name) throw new ConfigError('REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together (the sentinels, and the name of the primary they monitor)');
  return { form: 'sentinel', sentinels: parseHostPorts('REDIS_SENTINELS', sentinels), name, sentinelPassword: str('REDIS_SENTINEL_PASSWORD'), password, tls };
}

function parseHostPorts(variable: string, value: string): RedisNodeAddress[] {
  return value.split(',').map((entry) => {
    const separator = entry.trim().lastIndexOf(':');
    const host = entry.trim().slice(0, separator).replace(/^\[(.*)\]$/, '$1');
    const port = Number(entry.trim().slice(separator + 1));
    if (port < 1 || port > 65535) throw new ConfigError(`${variable}: ${entry.trim()} has no port between 1 and 65535`);
    return { host, port };
  });
}

// Proxies and a private CA are the deployment's business, not a user's: children get them as set.
const PASS_THROUGH = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'NODE_USE_ENV_PROXY'];

function passThroughEnvironment(env: Environment): Record<string, string> {
  return Object.fromEntries(PASS_THROUGH.filter((name) => env[name]?.trim()).map((name) => [name, env[name]!.trim()]));
}

function poolConfig(raw: Record<string, unknown>, maxConcurrent: number): PoolConfig | undefined {
  if (raw.CLI_POOL === 'off') return undefined;
  const num = (name: string) => raw[name] as number | undefined;
  const max = num('CLI_POOL_MAX') ?? Math.min(4, maxConcurrent);
  const min = num('CLI_POOL_MIN') ?? Math.min(1, max);
  if (max > maxConcurrent) throw new ConfigError(`CLI_POOL_MAX=${max} is more than CLI_MAX_CONCURRENT=${maxConcurrent}: a warm child is there for a call`);
  if (min > max) throw new ConfigError(`CLI_POOL_MIN=${min} is more than CLI_POOL_MAX=${max}`);
  return { min, max, idleMs: num('CLI_POOL_IDLE_MS') ?? 120_000, preload: (raw.CLI_POOL_PRELOAD as PoolConfig['preload'] | undefined) ?? 'commands' };
}

function isolationConfig(raw: Record<string, unknown>, env: Environment, maxConcurrent: number, poolMax: number): IsolationConfig {
  const str = (name: string) => raw[name] as string | undefined;
  const num = (name: string, fallback: number) => (raw[name] as number | undefined) ?? fallback;
  const mb = 1024 * 1024;
  const [serverUid, serverGid] = (str('CLI_SERVER_UID') ?? '60000').split(':').map(Number);
  const childUids = parseUidRange(str('CLI_CHILD_UIDS') ?? '60100-60199');
  if (childUids) {
    const size = childUids.last - childUids.first + 1;
    // Each running child holds a uid, its clean-up holds it a moment longer, and so does each warm child.
    const needed = 2 * maxConcurrent + poolMax;
    if (size < needed) {
      throw new ConfigError(`CLI_CHILD_UIDS: ${size} uids are too few for CLI_MAX_CONCURRENT=${maxConcurrent} and CLI_POOL_MAX=${poolMax} (at least ${needed})`);
    }
    if (serverUid >= childUids.first && serverUid <= childUids.last) throw new ConfigError('CLI_SERVER_UID must not be one of CLI_CHILD_UIDS');
  }
  return {
    stateDir: stripTrailingSlash(str('STATE_DIR') ?? defaultStateDir(env)),
    fileSystem: str('CLI_SANDBOX_FS') !== 'off',
    extraReadPaths: str('CLI_SANDBOX_READ_PATHS')?.split(',').map((p) => p.trim()).filter(Boolean) ?? [],
    limits:
      str('CLI_LIMITS') === 'off'
        ? undefined
        : {
            memoryBytes: num('CLI_LIMIT_MEMORY_MB', DEFAULT_LIMITS.memoryBytes / mb) * mb,
            cpuSeconds: num('CLI_LIMIT_CPU_SECONDS', DEFAULT_LIMITS.cpuSeconds),
            openFiles: num('CLI_LIMIT_OPEN_FILES', DEFAULT_LIMITS.openFiles),
            fileSizeBytes: num('CLI_LIMIT_FILE_SIZE_MB', DEFAULT_LIMITS.fileSizeBytes / mb) * mb,
            processes: num('CLI_LIMIT_PROCESSES', DEFAULT_LIMITS.processes),
          },
    childUids,
    uidLeaseDir: stripTrailingSlash(str('CLI_UID_LEASE_DIR') ?? '/run/mittwald-mcp/uids'),
    serverUser: { uid: serverUid, gid: serverGid ?? serverUid },
    allowUnisolated: (raw.CLI_ALLOW_UNISOLATED as boolean | undefined) ?? false,
  };
}

function parseUidRange(value: string): { first: number; last: number } | undefined {
  if (value === 'off') return undefined;
  const [first, last] = value.split('-').map(Number);
  if (first < 1 || last < first || last > 2 ** 31 - 2) throw new ConfigError(`CLI_CHILD_UIDS=${value} is not a range of unprivileged uids (first-last, first ≥ 1)`);
  return { first, last };
}

/** Root: a system state directory the children can pass through; anyone else: their own. */
function defaultStateDir(env: Environment): string {
  if (process.geteuid?.() === 0) return '/var/lib/mittwald-mcp';
  if (env.XDG_STATE_HOME?.startsWith('/')) return join(env.XDG_STATE_HOME, 'mittwald-mcp');
  let home = env.HOME;
  if (!home?.startsWith('/')) {
    try {
      home = homedir();
    } catch {
      throw new ConfigError('STATE_DIR is not set and there is no HOME to keep the state under: set STATE_DIR');
    }
  }
  return join(home, '.local', 'state', 'mittwald-mcp');
}

function validatedEnvironment(env: Environment): Record<string, unknown> {
  const known = Object.keys(environmentSchema.properties);
  // Empty values count as unset, as in most .env tooling.
  const subset: Record<string, unknown> = {};
  for (const name of known) {
    const value = env[name]?.trim();
    if (value) subset[name] = value;
  }
  const ajv = new Ajv({ allErrors: true, coerceTypes: true });
  const validate = ajv.compile(environmentSchema);
  if (!validate(subset)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '');
      const shown = name.match(/KEY|JWKS|PASS|SECRET/) ? '(hidden)' : JSON.stringify(env[name]);
      return `${name}=${shown} ${e.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return subset;
}

function requireProductionSecrets(raw: Record<string, unknown>, publicUrl: string): void {
  const missing = ['PUBLIC_URL', 'OAUTH_JWKS', 'COOKIE_KEYS', 'TOKEN_ENCRYPTION_KEY'].filter((n) => !raw[n]);
  if (missing.length) {
    throw new ConfigError(
      `NODE_ENV=production needs real keys and a public URL; missing: ${missing.join(', ')} ` +
        '(generate keys with `npm run keys`)',
    );
  }
  if (!publicUrl.startsWith('https://')) {
    throw new ConfigError('PUBLIC_URL must be https:// in production (OAuth 2.1 requires TLS)');
  }
}

function loadScopeCatalogue(path: string): ScopeCatalogue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`MITTWALD_SCOPE_CONFIG_PATH: cannot read ${path}: ${(error as Error).message}`);
  }
  const ajv = new Ajv();
  const scopeList = { type: 'array', items: { type: 'string', pattern: '^[a-z_-]+(:[a-z_-]+)?$' } };
  const valid = ajv.validate(
    { type: 'object', required: ['upstream', 'oidc', 'defaults'], properties: { upstream: scopeList, oidc: scopeList, defaults: scopeList } },
    parsed,
  );
  if (!valid) throw new ConfigError(`MITTWALD_SCOPE_CONFIG_PATH: ${path} ${ajv.errorsText()}`);
  const catalogue = parsed as ScopeCatalogue;
  const unknownDefaults = catalogue.defaults.filter((s) => !catalogue.upstream.includes(s));
  if (unknownDefaults.length) {
    throw new ConfigError(`MITTWALD_SCOPE_CONFIG_PATH: defaults not in upstream: ${unknownDefaults.join(', ')}`);
  }
  return { upstream: catalogue.upstream, oidc: catalogue.oidc, defaults: catalogue.defaults };
}

function parseJwks(text: string): { keys: Jwk[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('OAUTH_JWKS must be a JSON Web Key Set ({"keys":[...]}) of private keys');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => k && typeof k === 'object' && 'd' in k)) {
    throw new ConfigError('OAUTH_JWKS must hold at least one private key ({"keys":[{"kty":...,"d":...}]})');
  }
  return { keys: keys as Jwk[] };
}

export function generateDevelopmentJwks(): { keys: Jwk[] } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
  return { keys: [{ ...jwk, kid: `dev-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' }] };
}

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) throw new ConfigError('TOKEN_ENCRYPTION_KEY must be 32 bytes, base64 encoded');
  return key;
}

// Express's names for the private ranges besides addresses and subnets (proxy-addr)
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!NAMED_RANGES.has(entry) && (family === 0 || !validBits || rest.length > 0)) {
      throw new ConfigError(`TRUST_PROXY: ${JSON.stringify(entry)} is not an address, a subnet (address/bits) or one of ${[...NAMED_RANGES].join(', ')}`);
    }
  }
  return entries;
}

/**
 * A hop count or `true` trusts X-Forwarded-For from whatever connects: a client that reaches the
 * server beside its proxy names any address it likes, and every per-address limit is lifted.
 */
export function trustProxyWarning(trustProxy: TrustProxy): string | undefined {
  if (trustProxy === false || trustProxy === 0 || Array.isArray(trustProxy)) return undefined;
  return (
    `TRUST_PROXY=${String(trustProxy)} trusts X-Forwarded-For from any connection: a client reaching the server without the proxy ` +
    'chooses its own address for the per-address limits (registrations, token checks). Set TRUST_PROXY to the proxy\'s addresses instead'
  );
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
