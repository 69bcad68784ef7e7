// What a `mw` child needs to read to start the CLI at all: the package, and every node_modules
// directory Node's resolver may take its dependencies from (the package's own and each one above
// it, and the same again for packages linked in from elsewhere, as `npm link` or a workspace does).
// Symlinks are resolved, because the permission model compares the real paths Node opens.
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';

export interface CliInstallTree {
  /** the CLI's package root (real path) */
  root: string;
  /** the CLI's bin script (real path) */
  bin: string;
  /** node_modules directories and linked packages outside the root (real paths) */
  dependencyDirs: string[];
}

/** The child bootstrap imports the CLI's bin script: an executable that is not a Node script cannot be run. */
export class NotANodeScriptError extends Error {
  override name = 'NotANodeScriptError';
}

export async function cliInstallTree(cli: { root: string; executablePath: string }): Promise<CliInstallTree> {
  const root = await realpath(cli.root);
  const bin = await realpath(cli.executablePath);
  if (!(await isNodeScript(bin))) throw new NotANodeScriptError(`${bin} is not a Node script: MW_CLI must name the CLI's bin script (mw's bin/run.js)`);
  const found = new Set<string>();
  const visit = async (packageRoot: string) => {
    for (const dir of await resolverDirectories(packageRoot)) {
      if (found.has(dir)) continue;
      found.add(dir);
      // A linked package resolves its own dependencies from where it really is.
      for (const linked of await linkedPackages(dir)) {
        if (!isInside(linked, dir) && !found.has(linked)) {
          found.add(linked);
          await visit(linked);
        }
      }
    }
  };
  await visit(root);
  // What lies inside the root is allowed with it.
  const dependencyDirs = [...found].filter((dir) => !isInside(dir, root));
  return { root, bin, dependencyDirs };
}

/** node_modules at the package and every directory above it: Node's lookup order. */
async function resolverDirectories(packageRoot: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (await isDirectory(candidate)) dirs.push(await realpath(candidate));
    if (dirname(dir) === dir) return dirs;
  }
}

/** Real paths of the symlinked packages directly in a node_modules directory (scoped ones too). */
async function linkedPackages(nodeModules: string): Promise<string[]> {
  const targets: string[] = [];
  const scan = async (dir: string, scoped: boolean) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (!scoped && entry.name.startsWith('@') && entry.isDirectory()) await scan(path, true);
      else if ((await lstat(path)).isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target) targets.push(target);
      }
    }
  };
  await scan(nodeModules, false);
  return targets;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** `.js`/`.mjs`/`.cjs`, or a shebang that runs node (mw's bin/run.js has both). */
async function isNodeScript(file: string): Promise<boolean> {
  if (['.js', '.mjs', '.cjs'].includes(extname(file))) return true;
  const head = await readFile(file).then(
    (content) => content.subarray(0, 200).toString('utf8'),
    () => '',
  );
  return /^#!.*\bnode\b/.test(head);
}
