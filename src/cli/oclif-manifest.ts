// The fast way to a CLI's commands: the oclif.manifest.json files that `oclif manifest` writes into
// the CLI package and each of its core plugins. oclif trusts a manifest only while its version is
// the package's version; so do we. When any manifest is missing or stale the answer is "unknown"
// and the caller asks oclif itself (in a child process).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  oclif?: { plugins?: unknown };
}

/** Raw cached commands of the package at `root` and its plugins, or undefined when oclif must load the modules. */
export async function readManifestCommands(root: string): Promise<unknown[] | undefined> {
  const commands: unknown[] = [];
  const visited = new Set<string>();

  const collect = async (packageRoot: string): Promise<boolean> => {
    if (visited.has(packageRoot)) return true;
    visited.add(packageRoot);
    const pkg = await readJson<PackageJson>(join(packageRoot, 'package.json'));
    const manifest = pkg && (await readJson<{ version?: string; commands?: Record<string, unknown> }>(join(packageRoot, 'oclif.manifest.json')));
    if (!pkg || !manifest?.commands || manifest.version !== pkg.version) return false;
    commands.push(...Object.values(manifest.commands));

    const plugins = pluginNames(pkg);
    if (!plugins) return false;
    for (const name of plugins) {
      const pluginRoot = await findInstalledPackage(name, packageRoot);
      if (!pluginRoot || !(await collect(pluginRoot))) return false;
    }
    return true;
  };

  return (await collect(root)) ? commands : undefined;
}

/**
 * The dependencies that `oclif.plugins` selects. oclif matches with minimatch; plain names and a
 * trailing `*` cover real CLIs (mw lists plain names), anything fancier returns undefined.
 */
function pluginNames(pkg: PackageJson): string[] | undefined {
  const patterns = pkg.oclif?.plugins ?? [];
  if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string' && /^[@\w./-]+\*?$/.test(p))) {
    return undefined;
  }
  const matches = (name: string, pattern: string) =>
    pattern.endsWith('*')
      ? name.startsWith(pattern.slice(0, -1)) && !name.slice(pattern.length - 1).includes('/')
      : name === pattern;
  return Object.keys(pkg.dependencies ?? {}).filter((name) => patterns.some((p: string) => matches(name, p)));
}

/** Node's lookup: node_modules/<name> in the package's directory or any directory above it. */
async function findInstalledPackage(name: string, from: string): Promise<string | undefined> {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (await readJson(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
