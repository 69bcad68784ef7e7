// Build step (Dockerfile, stage cli): fills the `mw` children's V8 compile cache by running real
// command paths, so the first tool calls after a start do not compile the CLI's ~330 modules again.
// `mw --version` alone loads half of what a command needs; commands against a throwaway API on
// loopback (every request answers `[]`) load the command, the API client and the output code, and
// where `[]` is not what a command expects, the error path (mw draws its errors with Ink and React).
//
//   node prime-compile-cache.ts <cache dir> <mw executable> [child uid, first-last range or "off" ...]
//
// Node keeps the cache per uid and V8 flags (<dir>/v<node>-<arch>-<v8 tag>-<uid>): run as the
// server's uid, this writes that uid's directories, one for cold children and one for warm ones
// (they run with WARM_NODE_FLAGS, src/cli/sandbox/child-allowances.ts), and every child uid gets a
// symlink to each, the layout the launcher expects (src/cli/sandbox/shared-compile-cache.ts). The children only read it: the directory is not
// theirs, nor writable in a read-only root, so none of them can change what another one runs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The command paths the server runs most; each loads its topic's modules on top of the shared ones.
const PRIMING_COMMANDS = [
  ['project', 'list', '--output=json'],
  ['app', 'list', '--output=json'],
  ['user', 'get', '--output=json'],
];

const [cacheDir, executable, ...uidArguments] = process.argv.slice(2);
if (!cacheDir || !executable || !uidArguments.every((uid) => /^(\d+(-\d+)?|off)$/.test(uid))) {
  console.error('usage: node prime-compile-cache.ts <cache dir> <mw executable> [uid, first-last or off ...]');
  process.exit(64);
}
const ownUid = String(process.getuid!());
const childUids = new Set(uidArguments.flatMap(expandUids).filter((uid) => uid !== ownUid));

const api = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
api.listen(0, '127.0.0.1');
await once(api, 'listening');
const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

// What warm children run with (child-allowances.ts: WARM_NODE_FLAGS), besides cold children's none.
const NODE_FLAG_SETS = [[], ['--no-lazy']];

const home = await mkdtemp(join(tmpdir(), 'mw-prime-'));
for (const flags of NODE_FLAG_SETS) {
  for (const argv of PRIMING_COMMANDS) {
    const exitCode = await run(flags, argv);
    console.log(`primed: ${['node', ...flags].join(' ')} mw ${argv.join(' ')} (exit ${exitCode})`);
  }
}
api.close();
await rm(home, { recursive: true, force: true });

const written = (await readdir(cacheDir)).filter((name) => name.endsWith(`-${ownUid}`));
if (written.length !== NODE_FLAG_SETS.length) throw new Error(`expected ${NODE_FLAG_SETS.length} compile cache directories in ${cacheDir}, found ${written.length}`);
for (const shared of written) {
  const entries = await readdir(join(cacheDir, shared));
  if (entries.length === 0) throw new Error('the compile cache is empty: mw did not start');
  // Node writes each entry for its own uid only (mode 0600); these hold compiled code of public packages.
  const tag = shared.slice(0, -`-${ownUid}`.length);
  for (const entry of entries) await chmod(join(cacheDir, shared, entry), 0o644);
  for (const uid of childUids) await symlink(shared, join(cacheDir, `${tag}-${uid}`));
  console.log(`compile cache: ${entries.length} modules in ${join(cacheDir, shared)}, linked for ${childUids.size} more uid(s)`);
}

function expandUids(argument: string): string[] {
  if (argument === 'off') return [];
  const [first, last = first] = argument.split('-').map(Number);
  if (last < first || last - first > 65535) throw new Error(`not a uid range: ${argument}`);
  return Array.from({ length: last - first + 1 }, (_, i) => String(first + i));
}

/** One mw run with the environment the server gives its children (src/cli/child-environment.ts). */
async function run(nodeFlags: string[], argv: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [...nodeFlags, executable, ...argv], {
    cwd: home,
    stdio: ['ignore', 'ignore', 'ignore'],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_DATA_HOME: join(home, 'data'),
      MW_SKIP_NEW_VERSION_CHECK: '1',
      MW_DISABLE_AUTOUPDATE: '1',
      CI: '1',
      NO_COLOR: '1',
      MITTWALD_API_TOKEN: 'build-time-priming-not-a-token',
      MITTWALD_API_BASE_URL: apiUrl,
      NODE_COMPILE_CACHE: cacheDir,
    },
  });
  const [code] = await once(child, 'exit');
  return code as number | null;
}
