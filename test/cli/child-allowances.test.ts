// The boundary of a child as one module decides it: what it may read and write, that it starts
// nothing, which uid and limits it gets. Checked on the plan itself, so a change of the boundary
// shows up here as a change of a line, not only as an end-to-end failure.
import { describe, expect, it } from '@jest/globals';
import { fileReach, limitArgs, permissionFlags, planChild, uidArgs, WARM_NODE_FLAGS, type ChildPlanInput } from '../../src/cli/sandbox/child-allowances.ts';
import { DEFAULT_LIMITS } from '../../src/config.ts';
import type { CallDirectory } from '../../src/cli/call-directory.ts';

const directory: CallDirectory = {
  home: '/state/calls-0/mw-call-x',
  cwd: '/state/calls-0/mw-call-x/work',
  configDir: '/state/calls-0/mw-call-x/config',
  cacheDir: '/state/calls-0/mw-call-x/cache',
  dataDir: '/state/calls-0/mw-call-x/data',
  tmpDir: '/state/calls-0/mw-call-x/tmp',
  remove: async () => {},
};

function input(overrides: Partial<ChildPlanInput> = {}): ChildPlanInput {
  return {
    node: '/usr/local/bin/node',
    cli: { root: '/app/test/support/mw-cli', bin: '/app/test/support/mw-cli/bin/run.js', dependencyDirs: ['/app/node_modules'] },
    bootstrap: '/app/src/cli/sandbox/child-bootstrap.mts',
    directory,
    sandbox: { fileSystem: true, limits: { values: DEFAULT_LIMITS, prlimit: '/usr/bin/prlimit' } },
    path: '/usr/bin:/bin',
    passThrough: {},
    extraReadPaths: [],
    ...overrides,
  };
}

describe('what a child may read and write', () => {
  it('reads the CLI, its dependencies, the bootstrap and its call directory; writes only the call directory', () => {
    const reach = fileReach(input());
    expect(reach.read).toEqual(expect.arrayContaining(['/app/test/support/mw-cli', '/app/node_modules', '/app/src/cli/sandbox/child-bootstrap.mts', directory.home]));
    expect(reach.write).toEqual([directory.home]);
  });

  it('never reads the project root, its src or config directory, or /proc and /etc as a whole', () => {
    const { read } = fileReach(input());
    for (const forbidden of ['/app', '/app/src', '/app/config', '/proc', '/etc', '/']) expect(read).not.toContain(forbidden);
    // the only files outside the trees: the context files mw probes above its cwd, and harmless facts
    const outside = read.filter((path) => !['/app/test/support/mw-cli', '/app/node_modules', directory.home].some((tree) => path === tree || path.startsWith(`${tree}/`)));
    for (const path of outside) expect(path).toMatch(/(\.mw-context\.json|\.ddev\/config\.yaml|terraform\.tfstate|child-bootstrap\.mts)$|^\/proc\/version$|^\/proc\/sys\/fs\/binfmt_misc\/WSLInterop$|^\/run\/WSL$/);
  });

  it('may stat the context files in every directory above its call directory, up to /', () => {
    const { read } = fileReach(input());
    for (const dir of ['/state/calls-0', '/state', '']) expect(read).toContain(`${dir}/.mw-context.json`);
  });

  it('reads the CA file and what the operator adds', () => {
    const { read } = fileReach(input({ passThrough: { NODE_EXTRA_CA_CERTS: '/etc/ssl/private-ca.pem' }, extraReadPaths: ['/opt/mw-extra'] }));
    expect(read).toEqual(expect.arrayContaining(['/etc/ssl/private-ca.pem', '/opt/mw-extra']));
  });

  it('starts nothing: no flag allows child processes, workers, addons, WASI or the inspector', () => {
    const flags = permissionFlags(fileReach(input()));
    expect(flags[0]).toBe('--permission');
    expect(flags.filter((flag) => !/^--allow-fs-(read|write)=/.test(flag))).toEqual(['--permission']);
  });
});

describe('the command line of a child', () => {
  it('is prlimit, then setpriv, then node with the sandbox flags, the bootstrap and the bin: nothing of the request', () => {
    const plan = planChild(input({ sandbox: { fileSystem: true, limits: { values: DEFAULT_LIMITS, prlimit: '/usr/bin/prlimit' }, uid: { uid: 60101, gid: 60101, setpriv: '/usr/bin/setpriv' } } }));
    const words = [plan.command, ...plan.args];
    const prlimitEnd = words.indexOf('--');
    const setprivEnd = words.indexOf('--', prlimitEnd + 1);
    expect(words.slice(0, prlimitEnd)).toEqual(['/usr/bin/prlimit', ...limitArgs(DEFAULT_LIMITS, true)]);
    expect(words.slice(prlimitEnd + 1, setprivEnd)).toEqual(['/usr/bin/setpriv', ...uidArgs(60101, 60101)]);
    expect(words.slice(setprivEnd + 1, setprivEnd + 3)).toEqual(['/usr/local/bin/node', '--permission']);
    expect(words.slice(-4)).toEqual(['/app/src/cli/sandbox/child-bootstrap.mts', '--preload=none', `--cwd=${directory.cwd}`, '/app/test/support/mw-cli/bin/run.js']);
    // started where root without CAP_DAC_READ_SEARCH can enter; the bootstrap moves into the child's own directory
    expect(plan.cwd).toBe('/state/calls-0');
    expect(plan.env.MITTWALD_API_TOKEN).toBeUndefined();
  });

  it('limits processes only under a uid of its own (RLIMIT_NPROC counts every process of the real uid)', () => {
    expect(limitArgs(DEFAULT_LIMITS, false).some((arg) => arg.startsWith('--nproc'))).toBe(false);
    expect(limitArgs(DEFAULT_LIMITS, true)).toContain(`--nproc=${DEFAULT_LIMITS.processes}`);
  });

  it('switches uid without groups, capabilities or new privileges, and dies with its parent', () => {
    expect(uidArgs(60101, 60101)).toEqual(['--reuid=60101', '--regid=60101', '--clear-groups', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--pdeathsig=KILL']);
  });

  it('without the layers, is node with the bootstrap alone', () => {
    const plan = planChild(input({ sandbox: { fileSystem: false } }));
    expect([plan.command, ...plan.args]).toEqual([
      '/usr/local/bin/node',
      '/app/src/cli/sandbox/child-bootstrap.mts',
      '--preload=none',
      `--cwd=${directory.cwd}`,
      '/app/test/support/mw-cli/bin/run.js',
    ]);
  });

  it('of a warm child is that of a cold one but for what it preloads and how V8 compiles it: the same reach, limits, uid and environment', () => {
    const sandbox = { fileSystem: true, limits: { values: DEFAULT_LIMITS, prlimit: '/usr/bin/prlimit' }, uid: { uid: 60101, gid: 60101, setpriv: '/usr/bin/setpriv' } };
    const cold = planChild(input({ sandbox }));
    const warm = planChild(input({ sandbox, preload: 'commands' }));
    const differing = (a: string[], b: string[]) => a.filter((word) => !b.includes(word));
    expect(differing([warm.command, ...warm.args], [cold.command, ...cold.args])).toEqual([...WARM_NODE_FLAGS, '--preload=commands']);
    expect(differing([cold.command, ...cold.args], [warm.command, ...warm.args])).toEqual(['--preload=none']);
    expect(warm.env).toEqual(cold.env);
    expect(warm.cwd).toBe(cold.cwd);
  });

  it('passes the proxy and CA variables through, and nothing else of the server', () => {
    const plan = planChild(input({ passThrough: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem' } }));
    expect(plan.env).toMatchObject({ HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ssl/ca.pem', HOME: directory.home });
  });
});
