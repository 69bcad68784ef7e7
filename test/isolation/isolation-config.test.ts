// The isolation settings as config.ts reads them: defaults that work for npm start, CI as root and
// the image, and a clear refusal of values that would weaken the wall without saying so.
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { DEFAULT_LIMITS } from '../../src/config.ts';

const isolation = (env: Record<string, string> = {}) => loadConfig(env).cli.isolation;

describe('isolation settings', () => {
  it('default to every layer on, children uids 60100-60199, the server as 60000', () => {
    expect(isolation()).toMatchObject({
      fileSystem: true,
      extraReadPaths: [],
      limits: DEFAULT_LIMITS,
      childUids: { first: 60100, last: 60199 },
      serverUser: { uid: 60000, gid: 60000 },
      allowUnisolated: false,
    });
  });

  it('keep state in a system directory as root and in the user’s state directory otherwise, never under the temp dir', () => {
    const { stateDir } = isolation({ HOME: '/home/someone', XDG_STATE_HOME: '' });
    expect(stateDir).toBe(process.geteuid?.() === 0 ? '/var/lib/mittwald-mcp' : '/home/someone/.local/state/mittwald-mcp');
    expect(isolation({ STATE_DIR: '/srv/mcp/' }).stateDir).toBe('/srv/mcp');
  });

  it('read the limits in MB and seconds, and switch layers off only by name', () => {
    const settings = isolation({ CLI_LIMIT_MEMORY_MB: '2048', CLI_LIMIT_CPU_SECONDS: '30', CLI_SANDBOX_FS: 'off', CLI_CHILD_UIDS: 'off', CLI_SERVER_UID: '1000:1001' });
    expect(settings.limits).toMatchObject({ memoryBytes: 2048 * 1024 * 1024, cpuSeconds: 30 });
    expect(settings).toMatchObject({ fileSystem: false, childUids: undefined, serverUser: { uid: 1000, gid: 1001 } });
    expect(isolation({ CLI_LIMITS: 'off' }).limits).toBeUndefined();
  });

  it.each([
    ['a memory limit Node cannot start with', { CLI_LIMIT_MEMORY_MB: '512' }, /CLI_LIMIT_MEMORY_MB/],
    ['fewer child uids than two per concurrent child', { CLI_CHILD_UIDS: '60100-60105', CLI_MAX_CONCURRENT: '8' }, /too few/],
    ['the server uid among the child uids', { CLI_SERVER_UID: '60150' }, /must not be one of CLI_CHILD_UIDS/],
    ['uid 0 for children', { CLI_CHILD_UIDS: '0-99' }, /unprivileged/],
    ['a relative extra read path', { CLI_SANDBOX_READ_PATHS: 'etc/ssl' }, /CLI_SANDBOX_READ_PATHS/],
    ['a relative state directory', { STATE_DIR: 'state' }, /STATE_DIR/],
    ['a word other than on or off', { CLI_SANDBOX_FS: 'maybe' }, /CLI_SANDBOX_FS/],
  ])('refuse %s', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('pass proxy and CA variables through, lower-case forms too, and nothing else', () => {
    const config = loadConfig({ HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem', TOKEN_ENCRYPTION_KEY: '' });
    expect(config.cli.passThroughEnvironment).toEqual({ HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem' });
  });
});
