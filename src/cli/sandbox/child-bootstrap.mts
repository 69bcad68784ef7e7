// The first code a `mw` child runs: `node <sandbox flags> child-bootstrap.mts --preload=<what> --cwd=<dir> <cli bin script>`.
// The call's request (argv words and the user's token) arrives on the control pipe (fd 3) after the
// start, so nothing user-supplied is in /proc/<pid>/cmdline or the initial environment block; then
// the CLI's own bin script is imported and runs exactly as `mw` would. A child serves one request.
// Every permission the sandbox refuses is reported back on the same pipe (mw catches errors and
// prints its own box, so the server could not tell otherwise). Only node: built-ins: the sandbox
// allows this one file of the project, nothing around it.
//
// Before it says `ready`, a warm child of the pool (child-pool.ts) loads what every command needs,
// with nothing of a user in it yet: `config` loads oclif, the bin script's own imports (mw's error
// handler: Ink, React) and oclif's Config for the CLI's root (package.json files, plugins, the
// manifest, or every command module without one); `commands` also loads each command's module (the
// API client). The bin script's Config.load then gets that Config, once: loaded from the same files
// and the same start environment, so the command runs as it would have. A bin whose imports run a
// command (a wrapper that imports another bin script) fails its preload, as does anything that
// throws; such a child exits without reading a request. A cold child (`none`) preloads nothing.
import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync, readSync, writeSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const CONTROL_FD = 3;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_REPORTED_DENIALS = 50;
/** a command that waited for interactive input nobody can give (see endAtPrompts) */
const EXIT_INPUT_REQUIRED = 75;
/** Node's channels for the permission model's refusals (published in enforce mode too). */
const PERMISSION_SCOPES = ['fs', 'child', 'worker', 'addon', 'wasi', 'inspector'];
const PRELOAD_LEVELS = ['none', 'config', 'commands'] as const;

type PreloadLevel = (typeof PRELOAD_LEVELS)[number];

interface RunRequest {
  type: 'run';
  argv: string[];
  env: Record<string, string>;
}

interface OclifConfigClass {
  load(options?: unknown): Promise<{ commands: Array<{ load(): Promise<unknown> }> }>;
}

function report(message: object): void {
  try {
    writeSync(CONTROL_FD, `${JSON.stringify(message)}\n`);
  } catch {
    // The server stopped listening (it is ending this child): nothing to tell anyone.
  }
}

function reportDenials(): void {
  const reported = new Set<string>();
  for (const scope of PERMISSION_SCOPES) {
    diagnosticsChannel.subscribe(`node:permission-model:${scope}`, (message) => {
      const { permission, resource } = message as { permission?: unknown; resource?: unknown };
      const key = `${String(permission)} ${String(resource)}`;
      if (reported.has(key) || reported.size >= MAX_REPORTED_DENIALS) return;
      reported.add(key);
      report({ type: 'denied', permission: String(permission), resource: String(resource ?? '') });
    });
  }
}

/** Blocks until one line arrives: the child has nothing else to do before its request. */
function readRequest(): RunRequest | undefined {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  for (;;) {
    const read = readSync(CONTROL_FD, buffer, 0, buffer.length, null);
    if (read === 0) return undefined;
    const chunk = Buffer.from(buffer.subarray(0, read));
    const newline = chunk.indexOf(0x0a);
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
    total += read;
    if (newline !== -1) break;
    if (total > MAX_REQUEST_BYTES) return undefined;
  }
  let request: Partial<RunRequest>;
  try {
    request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<RunRequest>;
  } catch {
    return undefined;
  }
  const strings = (values: unknown[]) => values.every((value) => typeof value === 'string');
  if (request.type !== 'run' || !Array.isArray(request.argv) || !strings(request.argv)) return undefined;
  if (typeof request.env !== 'object' || request.env === null || !strings(Object.values(request.env))) return undefined;
  return request as RunRequest;
}

/** The modules a script imports statically (`import … from '…'`, `import '…'`): mw's bin imports oclif and its error handler. */
function staticImports(script: string): string[] {
  const source = readFileSync(script, 'utf8');
  return [...source.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((match) => match[1]);
}

/**
 * Imports `specifier` as the bin script's own import would resolve it (same file, same module
 * instance): a resolve hook for the length of the import, and gone again after it.
 */
async function importAsBin(specifier: string, binUrl: string): Promise<unknown> {
  const marker = 'mw-preload:';
  const hooks = registerHooks({
    resolve: (wanted, context, nextResolve) =>
      wanted.startsWith(marker) ? nextResolve(wanted.slice(marker.length), { ...context, parentURL: binUrl }) : nextResolve(wanted, context),
  });
  try {
    return await import(`${marker}${specifier}`);
  } finally {
    hooks.deregister();
  }
}

/**
 * Loads what the bin script imports and the CLI's oclif Config (and with `commands` every command
 * module), before any request. Resolves with the hand-over to arm once the request is in, or
 * undefined when the CLI is not an oclif CLI (nothing to hand over).
 */
async function preload(bin: string, level: PreloadLevel): Promise<(() => void) | undefined> {
  if (level === 'none') return undefined;
  const binUrl = pathToFileURL(bin).href;
  const oclif = (await importAsBin('@oclif/core', binUrl).catch(() => undefined)) as
    | { Config?: OclifConfigClass; default?: { Config?: OclifConfigClass } }
    | undefined;
  const Config = oclif?.Config ?? oclif?.default?.Config;
  // Not an oclif CLI: nothing of it can be loaded without running it.
  if (typeof Config?.load !== 'function') return undefined;
  const load = Config.load;
  // Importing the bin's imports must not start a run: any Config.load meanwhile is refused, and so is the preload.
  let ranCommand = false;
  Config.load = () => {
    ranCommand = true;
    return Promise.reject(new Error('the CLI started a command while its bin script’s imports were loaded'));
  };
  try {
    for (const specifier of staticImports(bin)) await importAsBin(specifier, binUrl);
  } finally {
    Config.load = load;
  }
  if (ranCommand) throw new Error('the bin script’s imports run a command: nothing can be loaded ahead of the request');
  const config = await load.call(Config, bin);
  if (level === 'commands') for (const command of config.commands) await command.load();
  collectGarbage();
  return () => {
    // One shot: the bin's Config.load for the same root gets this Config; any other load is oclif's own.
    Config.load = function (this: OclifConfigClass, options?: unknown) {
      Config.load = load;
      return sameRoot(options, bin) ? Promise.resolve(config) : load.call(this, options);
    };
  };
}

/**
 * A full collection once everything is loaded: else the marking that loading started finishes
 * during the command (a major GC of ~10 ms on its path), and a waiting child holds the garbage.
 * gc() is exposed in a context of its own, so the CLI's global object stays as mw's would be.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  setFlagsFromString('--no-expose-gc');
}

/**
 * Without a terminal mw can still stop at an Ink prompt (a select, an input) that waits for keys
 * nobody can press: its command never settles, and once nothing else is pending the event loop runs
 * dry. mw's bin ends every command with process.exit, so a command that is still running when the
 * loop is empty is waiting for such an answer: say so and end the child now, not at the time limit.
 * Only an oclif command is watched (a bin that simply returns ends the same way).
 */
async function endAtPrompts(bin: string): Promise<void> {
  type Runs = { prototype?: { runCommand?: (...args: unknown[]) => Promise<unknown> } };
  const oclif = (await importAsBin('@oclif/core', pathToFileURL(bin).href).catch(() => undefined)) as
    | { Config?: Runs; default?: { Config?: Runs } }
    | undefined;
  const prototype = (oclif?.Config ?? oclif?.default?.Config)?.prototype;
  const runCommand = prototype?.runCommand;
  if (!prototype || typeof runCommand !== 'function') return;
  let running = 0;
  prototype.runCommand = async function (this: unknown, ...args: unknown[]) {
    running += 1;
    try {
      return await runCommand.apply(this, args);
    } finally {
      running -= 1;
    }
  };
  process.on('beforeExit', () => {
    if (running === 0) return;
    report({ type: 'input-required' });
    process.exit(EXIT_INPUT_REQUIRED);
  });
}

/** `run(argv, import.meta.url)` passes the bin's URL; oclif turns it into the path we loaded. */
function sameRoot(options: unknown, bin: string): boolean {
  const path = options instanceof URL ? options.href : options;
  return path === bin || path === pathToFileURL(bin).href;
}

const [preloadOption, cwdOption, bin] = process.argv.slice(2);
const level = preloadOption?.slice('--preload='.length) as PreloadLevel;
const cwd = cwdOption?.slice('--cwd='.length);
if (!bin || !preloadOption.startsWith('--preload=') || !PRELOAD_LEVELS.includes(level) || !cwdOption.startsWith('--cwd=') || !cwd) {
  process.stderr.write('usage: child-bootstrap.mts --preload=none|config|commands --cwd=<working directory> <cli bin script>\n');
  process.exit(64);
}
reportDenials();
// The spawn starts in the call root (see planChild); mw runs, and looks for context files, from here.
process.chdir(cwd);
// Modules that look at argv while they load see what mw's would (no command words yet).
process.argv = [process.execPath, bin];
let handOver: (() => void) | undefined;
try {
  handOver = await preload(bin, level);
  report({ type: 'ready' });
} catch (error) {
  // What it loaded may be half done or have run something: this child runs no request at all.
  report({ type: 'preload-failed', reason: String((error as Error)?.message ?? error).slice(0, 500) });
  process.exit(70);
}
const request = readRequest();
if (!request) {
  // The server closed the pipe or sent something else: this child never runs a command.
  process.stderr.write('child-bootstrap: no valid request on the control pipe\n');
  process.exit(70);
}
report({ type: 'accepted' });
process.argv = [process.execPath, bin, ...request.argv];
Object.assign(process.env, request.env);
handOver?.();
await endAtPrompts(bin);
await import(pathToFileURL(bin).href);
