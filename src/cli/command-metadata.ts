// The commands of the installed CLI, read the way oclif reads them: from fresh oclif.manifest.json
// files when the package has them, otherwise by letting oclif load the CLI in a child process.
// Cached in memory and on disk per CLI name and version, so a restart does not pay again.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCallDirectory } from './call-directory.ts';
import type { LocatedCli } from './locate-cli.ts';
import { normaliseCommandSet } from './normalise-commands.ts';
import { readManifestCommands } from './oclif-manifest.ts';
import { ensurePrivateDirectory } from './private-directory.ts';
import { runChildProcess } from './run-child-process.ts';
import { CliFailure, type CliCommandSet } from './types.ts';

export interface CommandMetadataOptions {
  /** on-disk cache (default: a directory under the OS temp dir) */
  cacheDir?: string;
  /** private directory (see call-root.ts) for the loading child's call directory (default: cacheDir) */
  workDir?: string;
  /** limit for the child that loads the CLI (default 120 s) */
  timeoutMs?: number;
  /** node binary for that child (default: the one running the server) */
  nodePath?: string;
}

export interface CommandMetadataReader {
  read(cli: LocatedCli): Promise<CliCommandSet>;
}

export class CommandMetadataError extends Error {
  override name = 'CommandMetadataError';
}

/** Bumped whenever normalisation changes, so caches written by older code are not read. */
const CACHE_FORMAT = 1;
const PRINT_SCRIPT = fileURLToPath(new URL('./print-command-metadata.ts', import.meta.url));

export function defaultMetadataCacheDir(): string {
  return join(tmpdir(), 'mittwald-mcp', 'cli-metadata');
}

export function createCommandMetadataReader(options: CommandMetadataOptions = {}): CommandMetadataReader {
  const cacheDir = options.cacheDir ?? defaultMetadataCacheDir();
  const inMemory = new Map<string, Promise<CliCommandSet>>();

  const load = async (cli: LocatedCli): Promise<CliCommandSet> => {
    const cacheFile = join(cacheDir, `${encodeURIComponent(cli.name)}@${encodeURIComponent(cli.version)}.v${CACHE_FORMAT}.json`);
    // An unsafe cache directory costs only time: the commands are read afresh and not stored.
    const useCache = await ensurePrivateDirectory(cacheDir);
    const cached = useCache && (await readCachedSet(cacheFile, cli.version));
    if (cached) return cached;
    const raw = (await readManifestCommands(cli.root)) ?? (await loadCommandsWithOclif(cli, options));
    const commandSet = normaliseCommandSet(cli.version, raw);
    if (useCache) await writeCachedSet(cacheFile, commandSet);
    return commandSet;
  };

  return {
    read(cli) {
      const key = `${cli.name}@${cli.version}`;
      let pending = inMemory.get(key);
      if (!pending) {
        pending = load(cli);
        inMemory.set(key, pending);
        // A failed read is not cached: the next caller tries again.
        pending.catch(() => inMemory.delete(key));
      }
      return pending;
    },
  };
}

async function loadCommandsWithOclif(cli: LocatedCli, options: CommandMetadataOptions): Promise<unknown[]> {
  // Not under the shared temp dir: oclif and mw read context files from the cwd and every parent.
  const workDir = options.workDir ?? options.cacheDir ?? defaultMetadataCacheDir();
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const directory = await createCallDirectory(workDir);
  const what = `the commands of ${cli.name}@${cli.version}`;
  try {
    const result = await runChildProcess({
      executable: options.nodePath ?? process.execPath,
      args: [PRINT_SCRIPT, cli.root],
      cwd: directory.cwd,
      env: {
        HOME: directory.home,
        SHELL: '/bin/sh',
        TMPDIR: directory.tmpDir,
        XDG_CONFIG_HOME: directory.configDir,
        XDG_CACHE_HOME: directory.cacheDir,
        XDG_DATA_HOME: directory.dataDir,
      },
      timeoutMs: options.timeoutMs ?? 120_000,
      maxOutputBytes: 64 * 1024 * 1024,
      killGraceMs: 2000,
    });
    if (result.exitCode !== 0) {
      throw new CommandMetadataError(`reading ${what} failed (exit ${result.exitCode}): ${lastLines(result.stderr)}`);
    }
    const printed = JSON.parse(result.stdout) as { commands?: unknown };
    if (!Array.isArray(printed.commands)) throw new CommandMetadataError(`reading ${what} printed no command list`);
    return printed.commands;
  } catch (error) {
    if (error instanceof CommandMetadataError) throw error;
    const reason = error instanceof CliFailure || error instanceof SyntaxError ? error.message : String(error);
    throw new CommandMetadataError(`reading ${what} failed: ${reason}`, { cause: error });
  } finally {
    await directory.remove();
  }
}

async function readCachedSet(file: string, version: string): Promise<CliCommandSet | undefined> {
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as CliCommandSet;
    return cached.cliVersion === version && Array.isArray(cached.commands) ? cached : undefined;
  } catch {
    return undefined;
  }
}

async function writeCachedSet(file: string, commandSet: CliCommandSet): Promise<void> {
  try {
    // Write then rename, so a concurrent reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify(commandSet));
    await rename(partial, file);
  } catch {
    // The cache only saves time; the commands were read and are returned all the same.
  }
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n') || '(no error output)';
}
