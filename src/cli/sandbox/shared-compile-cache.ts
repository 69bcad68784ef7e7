// Node's compile cache for children of their own uids: one directory written by the server's uid
// (primed by the server, or at image build time) and read by every child uid. Node keeps a
// directory per uid and V8 flags (`v24.21.0-x64-<hash>-<uid>` under NODE_COMPILE_CACHE), so each
// child uid gets a link to the server's, one for cold children and one for warm ones (their V8
// flags differ: WARM_NODE_FLAGS). The children cannot write there (its files belong to the server's
// uid), so no child can leave code for the next user's child; Node just skips caching what is missing.
import { spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { superviseChild } from '../run-child-process.ts';
import { WARM_NODE_FLAGS } from './child-allowances.ts';
import { sendOnlyRequest, type ChildSpawner, type PreloadLevel } from './spawner.ts';

/** What the server runs once to fill the cache: start-up, and a command path up to its missing token. */
const PRIMING_COMMANDS = [['--version'], ['project', 'list']];

/** The part of Node's per-uid cache directory name before `-<uid>`, e.g. `v24.21.0-x64-964aae3f`, for these V8 flags. */
export async function compileCachePrefix(node: string, flags: string[] = []): Promise<string> {
  const probe = await mkdtemp(join(tmpdir(), 'mwmcp-cache-probe-'));
  try {
    const directory = await new Promise<string>((resolve, reject) => {
      const script = 'const m = require("node:module"); m.enableCompileCache(process.argv[1]); process.stdout.write(String(m.getCompileCacheDir()))';
      const child = spawn(node, [...flags, '-e', script, probe], { stdio: ['ignore', 'pipe', 'ignore'], env: {} });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`compile cache probe exited with ${code}`))));
    });
    const name = basename(directory);
    const suffix = `-${process.getuid?.() ?? 0}`;
    if (!name.endsWith(suffix)) throw new Error(`unexpected compile cache directory ${name}`);
    return name.slice(0, -suffix.length);
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/**
 * Lays out `dir` so that `owner` writes the cache and each child uid reads it through a link; what
 * is in place already is left as it is (an image can lay it out at build time and mount it
 * read-only). Resolves with the reason when it cannot, or when a child uid could write to it.
 */
export async function shareCompileCache(
  dir: string,
  node: string,
  owner: { uid: number; gid: number },
  childUids: { first: number; last: number },
): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const root = await stat(dir);
    if (root.uid === process.getuid?.() && (root.mode & 0o777) !== 0o755) await chmod(dir, 0o755);
    for (const prefix of [await compileCachePrefix(node), await compileCachePrefix(node, WARM_NODE_FLAGS)]) {
      const shared = `${prefix}-${owner.uid}`;
      await mkdir(join(dir, shared), { recursive: true, mode: 0o755 });
      const sharedInfo = await stat(join(dir, shared));
      if (sharedInfo.uid !== owner.uid) await chown(join(dir, shared), owner.uid, owner.gid);
      for (const [path, info] of [[dir, await stat(dir)], [join(dir, shared), await stat(join(dir, shared))]] as const) {
        if (![0, owner.uid].includes(info.uid) || (info.mode & 0o022) !== 0) return `${path} could be written by a child uid`;
      }
      for (let uid = childUids.first; uid <= childUids.last; uid += 1) {
        const link = join(dir, `${prefix}-${uid}`);
        const existing = await lstat(link).catch(() => undefined);
        if (existing?.isSymbolicLink() && (await readlink(link)) === shared) continue;
        // A directory a child uid once wrote itself is not to be trusted: replaced by the link.
        if (existing) await rm(link, { recursive: true, force: true });
        await symlink(shared, link);
      }
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Runs the priming commands (no token, nothing of a user) with a spawner whose children may write
 * the cache: cold children, and a warm one (what it preloads, compiled with its own V8 flags).
 */
export async function primeCompileCache(spawner: ChildSpawner): Promise<void> {
  const runs: Array<[PreloadLevel, string[]]> = [...PRIMING_COMMANDS.map((argv): [PreloadLevel, string[]] => ['none', argv]), ['commands', ['--version']]];
  for (const [preload, argv] of runs) {
    const child = await spawner.start({ preload });
    sendOnlyRequest(child, { argv, env: {} });
    await superviseChild(child, { timeoutMs: 60_000, maxOutputBytes: 1024 * 1024, killGraceMs: 1000, what: 'the mw CLI' }).catch(() => undefined);
    await child.cleanedUp;
  }
}
