// The server started from another directory (`cd /tmp && node <project>/src/main.ts`, as a
// service manager or a container entrypoint may do): the files it ships with are found next to
// its sources, while a path the operator sets explicitly is theirs, relative to where they start it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

const shippedScopes = JSON.parse(readFileSync(new URL('../../scopes.json', import.meta.url), 'utf8')) as { upstream: string[]; oidc: string[]; defaults: string[] };

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function scopesServedBy(url: string): Promise<string[]> {
  const metadata = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[] };
  return [...metadata.scopes_supported].sort();
}

describe('started from another directory', () => {
  it('finds its own scopes.json and config/tools.json', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'mwmcp-cwd-'));
    server = await startServerProcess({ PORT: String(await freePort()), LOG_LEVEL: 'warn' }, { cwd: elsewhere });
    expect(await scopesServedBy(server.url)).toEqual([...new Set([...shippedScopes.upstream, ...shippedScopes.oidc])].sort());
    expect(server.output()).not.toMatch(/cannot read/);
  });

  it('reads an explicitly relative MITTWALD_SCOPE_CONFIG_PATH from the directory it was started in', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'mwmcp-cwd-'));
    const own = { upstream: ['user:read', 'project:read'], oidc: ['openid'], defaults: ['user:read'] };
    writeFileSync(join(elsewhere, 'my-scopes.json'), JSON.stringify(own));
    server = await startServerProcess(
      { PORT: String(await freePort()), LOG_LEVEL: 'warn', MITTWALD_SCOPE_CONFIG_PATH: './my-scopes.json' },
      { cwd: elsewhere },
    );
    expect(await scopesServedBy(server.url)).toEqual(['openid', 'project:read', 'user:read']);
  });
});
