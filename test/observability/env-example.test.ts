import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { generateKeys, toEnvFile } from '../../scripts/generate-keys.ts';
import { parseDockerEnvFile } from '../support/docker-env-file.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const envExample = readFileSync(resolve(repoRoot, '.env.example'), 'utf8');

// The variable names of config.ts's environment schema, read from its source so that a new
// variable without documentation fails here.
function configVariables(): string[] {
  const source = readFileSync(resolve(repoRoot, 'src/config.ts'), 'utf8');
  const schema = /const environmentSchema = \{[\s\S]*?properties: \{([\s\S]*?)\n  \},\n\} as const;/.exec(source);
  if (!schema) throw new Error('environment schema not found in src/config.ts');
  return [...schema[1].matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

describe('.env.example', () => {
  it('documents every variable of the configuration schema, each with a comment above it', () => {
    const variables = configVariables();
    expect(variables.length).toBeGreaterThan(30);
    const lines = envExample.split('\n');
    for (const name of variables) {
      const at = lines.findIndex((line) => new RegExp(`^(# )?${name}=`).test(line));
      expect({ name, documented: at >= 0 }).toEqual({ name, documented: true });
      expect({ name, commented: lines.slice(0, at).reverse().find((l) => !/^(# )?[A-Z][A-Z0-9_]*=/.test(l))?.startsWith('# ') }).toEqual({ name, commented: true });
    }
  });

  it('names no variable the configuration does not know', () => {
    const known = new Set(configVariables());
    const named = [...envExample.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });

  it('holds no secret values', () => {
    const values = parseEnv(envExample);
    for (const name of ['OAUTH_JWKS', 'COOKIE_KEYS', 'TOKEN_ENCRYPTION_KEY', 'METRICS_PASS']) expect(values[name]).toBeUndefined();
  });

  it('with generated keys appended, is a valid production configuration', () => {
    const env = parseEnv(envExample + toEnvFile(generateKeys()));
    const config = loadConfig(env, repoRoot);
    expect(config.production).toBe(true);
    expect(config.publicUrl).toBe('https://mcp.example.com');
    // the proxy's address, not a hop count: the gateway a proxy on the Docker host connects from
    const gateway = /^\s+gateway: (\S+)$/m.exec(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'))?.[1];
    expect(config.trustProxy).toEqual([gateway]);
    expect(config.keys.generated).toBe(false);
  });

  it('with generated keys appended, reads the same for docker run --env-file as for Docker Compose and Node', () => {
    const file = envExample + toEnvFile(generateKeys());
    expect(parseDockerEnvFile(file)).toEqual(parseEnv(file));
  });

  it('commented defaults are the defaults: uncommenting them changes nothing', () => {
    const uncommented = envExample.replace(/^# ([A-Z][A-Z0-9_]*=.+)$/gm, '$1');
    const keys = toEnvFile(generateKeys());
    const asShipped = loadConfig(parseEnv(envExample + keys), repoRoot);
    const withDefaults = loadConfig(parseEnv(uncommented + keys), repoRoot);
    // Naming the API origin explicitly also hands it to the CLI; the origin itself is the same.
    const comparable = (c: ReturnType<typeof loadConfig>) => ({ ...c, mittwald: { ...c.mittwald, apiBaseUrlOverridden: undefined } });
    expect(comparable(withDefaults)).toEqual(comparable(asShipped));
  });
});
