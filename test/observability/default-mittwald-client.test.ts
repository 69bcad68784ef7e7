// Without MITTWALD_CLIENT_ID the server uses the client mittwald registered for one deployment
// (its redirect URI is fixed): anywhere else mittwald refuses the login. The operator is told at
// start and by /readyz, which still answers ready (the server works, the logins would not).
import { afterEach, describe, expect, it } from '@jest/globals';
import { standInCliPath } from '../support/mw-cli/index.ts';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';

const SECTION = 'Your own deployment: a mittwald OAuth client';

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(env: Record<string, string>) {
  server = await startServerProcess({ PORT: String(await freePort()), LOG_LEVEL: 'warn', LOG_FORMAT: 'json', MW_CLI: standInCliPath, ...env });
  const readiness = await fetch(`${server.url}/readyz`);
  return { status: readiness.status, body: (await readiness.json()) as { status: string; warnings?: string[] }, log: server.output() };
}

describe('the default mittwald OAuth client', () => {
  it('is named at start and on /readyz when this deployment is not the one it was registered for', async () => {
    const { status, body, log } = await start({ PUBLIC_URL: 'https://mcp.example.com' });
    const warning = log.split('\n').map((line) => line && JSON.parse(line)).find((entry) => /MITTWALD_CLIENT_ID/.test(entry?.message ?? ''));
    expect(warning).toMatchObject({ level: 'warn' });
    expect(warning.message).toContain('mittwald-mcp-server');
    expect(warning.message).toContain('https://mcp.example.com/mittwald/callback');
    expect(warning.message).toContain(SECTION);
    // a warning, not a failure
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', warnings: [warning.message] });
  });

  it('stays quiet for the deployment it was registered for, and for an own client', async () => {
    const quiet: Array<Record<string, string>> = [
      { PUBLIC_URL: 'https://auth.mcp.mittwald.de' },
      { PUBLIC_URL: 'https://mcp.example.com', MITTWALD_CLIENT_ID: 'c0ffee00-0000-4000-8000-000000000001' },
    ];
    for (const env of quiet) {
      const { status, body, log } = await start(env);
      expect(status).toBe(200);
      expect(log).not.toContain('MITTWALD_CLIENT_ID');
      expect(body.warnings).toBeUndefined();
      await server!.stop();
      server = undefined;
    }
  });
});
