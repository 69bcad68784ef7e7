// The first code a `mw` child runs: `node <sandbox flags> child-bootstrap.mts --preload=<what> --cwd=<dir> <cli bin script>`.
// Each call's request (argv words and the user's token) arrives on the control pipe (fd 3) after the
// start, so nothing user-supplied is in /proc/<pid>/cmdline or the initial environment block; then
// the CLI's own bin script is evaluated and runs exactly as `mw` would. Every permission the sandbox
// refuses is reported back on the same pipe (mw catches errors and prints its own box, so the server
// could not tell otherwise). Only node: built-ins: the sandbox allows this one file of the project,
// nothing around it.
//
// A child serves the calls of one principal, one at a time (the server decides whose: child-lives.ts).
// The bin ends a call with process.exit; here that ends the call, not the process: the exit is
// thrown as oclif's own ExitError (what `this.exit()` in a command throws, and what mw's error
// handler turns back into the same exit), and nothing of the call writes after it. The call is over
// once the event loop is empty again (as the process would end); then its output byte counts and
// exit code go back on the pipe with the verdict whether the child may serve another call. Before
// the next one, everything a call could leave is put back: exit code, environment, working directory,
// the call directory's contents. What cannot be put back ends the child instead (`notReusable`).
//
// Before it says `ready`, a warm child of the pool (child-pool.ts) loads what every command needs,
// with nothing of a user in it yet: `config` loads oclif, the bin script's own imports (mw's error
// handler: Ink, React) and oclif's Config for the CLI's root (package.json files, plugins, the
// manifest, or every command module without one); `commands` also loads each command's module (the
// API client). The bin script's Config.load then gets that Config, for every call: loaded from the
// same files and the same start environment, so each command runs as it would have. A bin whose
// imports run a command (a wrapper that imports another bin script) fails its preload, as does
// anything that throws; such a child exits without reading a request. A cold child (`none`) preloads nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import childProcess from 'node:child_process';
import { createRequire, registerHooks, syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const CONTROL_FD = 3;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_REPORTED_DENIALS = 50;
/** a command that waited for interactive input nobody can give (see loopEmptied) */
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

/** What was refused during the current call (reported once per call and resource). */
const deniedThisCall = new Set<string>();

function reportDenials(): void {
  for (const scope of PERMISSION_SCOPES) {
    diagnosticsChannel.subscribe(`node:permission-model:${scope}`, (message) => {
      const { permission, resource } = message as { permission?: unknown; resource?: unknown };
      const key = `${String(permission)} ${String(resource)}`;
      if (deniedThisCall.has(key) || deniedThisCall.size >= MAX_REPORTED_DENIALS) return;
      deniedThisCall.add(key);
      report({ type: 'denied', permission: String(permission), resource: String(resource ?? '') });
    });
  }
}

/** Bytes read past the end of a request line (none, as the server sends one request per finished call). */
let unread = Buffer.alloc(0);

/** Blocks until one line arrives: the child has nothing else to do before its request. */
function readRequest(): RunRequest | undefined {
  const buffer = Buffer.alloc(64 * 1024);
  while (unread.indexOf(0x0a) === -1) {
    if (unread.length > MAX_REQUEST_BYTES) return undefined;
    const read = readSync(CONTROL_FD, buffer, 0, buffer.length, null);
    if (read === 0) return undefined;
    unread = Buffer.concat([unread, buffer.subarray(0, read)]);
  }
  const newline = unread.indexOf(0x0a);
  const line = unread.subarray(0, newline).toString('utf8');
  unread = Buffer.from(unread.subarray(newline + 1));
  let request: Partial<RunRequest>;
  try {
    request = JSON.parse(line) as Partial<RunRequest>;
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

/** @oclif/core's Config class as the bin script's import gets it; undefined for a CLI without oclif. */
async function oclifConfigClass(bin: string): Promise<unknown> {
  const oclif = (await importAsBin('@oclif/core', pathToFileURL(bin).href).catch(() => undefined)) as
    | { Config?: unknown; default?: { Config?: unknown } }
    | undefined;
  return oclif?.Config ?? oclif?.default?.Config;
}

/**
 * Loads what the bin script imports and the CLI's oclif Config (and with `commands` every command
 * module), before any request. Resolves with the hand-over to arm once the request is in, or
 * undefined when the CLI is not an oclif CLI (nothing to hand over).
 */
async function preload(bin: string, level: PreloadLevel): Promise<(() => void) | undefined> {
  if (level === 'none') return undefined;
  const binUrl = pathToFileURL(bin).href;
  const Config = (await oclifConfigClass(bin)) as OclifConfigClass | undefined;
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
    // From the first call on, the bin's Config.load for the same root gets this Config; any other load is oclif's own.
    Config.load = function (this: OclifConfigClass, options?: unknown) {
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

/** oclif commands running now (see watchCommands): one still running when its call's loop empties waits at a prompt */
let runningCommands = 0;

/**
 * Without a terminal mw can still stop at an Ink prompt (a select, an input) that waits for keys
 * nobody can press: its command never settles, and once nothing else is pending the event loop runs
 * dry. mw's bin ends every command with process.exit, so a command that is still running when the
 * loop is empty is waiting for such an answer (see loopEmptied). Installed once per child: the
 * patched Config stays loaded across calls. Only an oclif command is watched.
 */
async function watchCommands(bin: string): Promise<void> {
  type Runs = { prototype?: { runCommand?: (...args: unknown[]) => Promise<unknown> } };
  const prototype = ((await oclifConfigClass(bin)) as Runs | undefined)?.prototype;
  const runCommand = prototype?.runCommand;
  if (!prototype || typeof runCommand !== 'function') return;
  prototype.runCommand = async function (this: unknown, ...args: unknown[]) {
    runningCommands += 1;
    try {
      return await runCommand.apply(this, args);
    } finally {
      runningCommands -= 1;
    }
  };
}

/** `run(argv, import.meta.url)` passes the bin's URL (with the call's query: see runCall); oclif turns it into the path we loaded. */
function sameRoot(options: unknown, bin: string): boolean {
  const path = options instanceof URL ? options.href : options;
  return typeof path === 'string' && (path === bin || path.replace(/\?.*$/, '') === pathToFileURL(bin).href);
}

type ExitErrorClass = new (code: number) => Error;

/**
 * oclif's ExitError of the CLI's own @oclif/core (what mw's error handler recognises), once the CLI
 * has loaded it (a CommonJS package: its instance is in require's cache); undefined before, and for
 * a CLI that is not an oclif CLI. Synchronous, as the process.exit it answers.
 */
function loadedExitError(bin: string): ExitErrorClass | undefined {
  const require = createRequire(bin);
  try {
    const oclif = require.cache[require.resolve('@oclif/core')]?.exports as { Errors?: { ExitError?: unknown } } | undefined;
    const ExitError = oclif?.Errors?.ExitError;
    return typeof ExitError === 'function' ? (ExitError as ExitErrorClass) : undefined;
  } catch {
    return undefined;
  }
}

interface Call {
  readonly number: number;
  /** it started a program (where the sandbox lets it): what that left running is beyond putting back */
  startedProcess?: boolean;
  /** set by the first process.exit of the call: from then on the call is over and writes nothing */
  exitCode?: number;
  readonly stdoutFrom: number;
  readonly stderrFrom: number;
}

/** The call whose code is running: async work of an earlier call still carries its own (AsyncLocalStorage). */
const callOfCode = new AsyncLocalStorage<Call>();
let current: Call | undefined;
let calls = 0;
/** a call that did not end by itself within this long after its process.exit leaves work behind */
const EXIT_GRACE_MS = 200;
let exitGrace: NodeJS.Timeout | undefined;

const bytesWritten = (stream: NodeJS.WriteStream) => (stream as unknown as { bytesWritten?: number }).bytesWritten ?? 0;
const isCurrent = (call: Call | undefined) => call !== undefined && call === current && call.exitCode === undefined;

/** Writes of a call that is over (or of an earlier one) are dropped, as the process's exit would have. */
function dropWritesAfterExit(stream: NodeJS.WriteStream): void {
  const write = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (isCurrent(callOfCode.getStore() ?? current)) return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  } as typeof stream.write;
}

/**
 * process.exit during a call: the call ends with that code (the first one it asks for), and the
 * code after the exit does not run on: oclif's ExitError is thrown, which mw's error handler answers
 * with process.exit of the same code again. Outside a call, and in a CLI without oclif, it is the real exit.
 */
function exitEndsTheCall(bin: string): typeof process.exit {
  let ExitError: ExitErrorClass | undefined;
  return ((code?: number | string | null) => {
    ExitError ??= loadedExitError(bin);
    if (!ExitError || !current) return realExit(code);
    const call = callOfCode.getStore() ?? current;
    // An earlier call's work, still running: it ends here, without a word.
    if (call !== current) throw new ExitError(1);
    if (call.exitCode === undefined) {
      call.exitCode = Number(code ?? process.exitCode ?? 0) || 0;
      // The process would be gone now: what is still pending of the call gets a moment to settle.
      exitGrace = setTimeout(() => finishCall('work was left running after the call’s exit'), EXIT_GRACE_MS).unref();
    }
    throw new ExitError(call.exitCode);
  }) as typeof process.exit;
}

/** An error nobody caught: the ExitError of a call's exit is expected; anything else ends the process, as node would. */
const uncaught = (bin: string) => (error: unknown) => {
  const ExitError = loadedExitError(bin);
  if (ExitError && error instanceof ExitError) return;
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  realExit(1);
};

/** The environment, working directory and call directory as they were before the first call. */
function snapshotOfTheStart(cwd: string): () => void {
  const environment = { ...process.env };
  const home = dirname(cwd);
  const directories = new Set(readdirSync(home));
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
    Object.assign(process.env, environment);
    process.exitCode = undefined;
    for (const name of readdirSync(home)) {
      const path = join(home, name);
      if (!directories.has(name)) rmSync(path, { recursive: true, force: true });
      else for (const inner of readdirSync(path)) rmSync(join(path, inner), { recursive: true, force: true });
    }
    process.chdir(cwd);
  };
}

/**
 * Timers a call unref'd: they keep no process alive, so mw's exit would have dropped them (oclif's
 * flush leaves a 10 s one behind every call), yet they would fire in a later call. Seen where they
 * are unref'd, and cleared when the call is over.
 */
const unrefdTimers = new Set<NodeJS.Timeout>();

function watchUnrefdTimers(): void {
  const probe = setTimeout(() => {}, 0);
  clearTimeout(probe);
  const Timeout = Object.getPrototypeOf(probe) as { unref(this: NodeJS.Timeout): NodeJS.Timeout };
  const unref = Timeout.unref;
  Timeout.unref = function (this: NodeJS.Timeout) {
    if (current) unrefdTimers.add(this);
    return unref.call(this);
  };
}

function clearUnrefdTimers(): void {
  for (const timer of unrefdTimers) clearTimeout(timer);
  unrefdTimers.clear();
}

/** A call that starts a program ends its child: the program, or what it left behind (a daemon), may outlive the call. */
function watchProcessStarts(): void {
  const started = () => {
    const call = callOfCode.getStore() ?? current;
    if (call) call.startedProcess = true;
  };
  diagnosticsChannel.subscribe('child_process', started);
  // the synchronous ones start no ChildProcess (and publish nothing)
  for (const name of ['spawnSync', 'execSync', 'execFileSync'] as const) {
    const original = childProcess[name] as (...args: unknown[]) => unknown;
    (childProcess as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      started();
      return original(...args);
    };
  }
  syncBuiltinESMExports();
}

/** Handles the process holds apart from a call's: what is left beyond those after a call is the call's. */
const resourcesNow = () => process.getActiveResourcesInfo().filter((name) => name !== 'TTYWrap').sort();

function leftOver(baseline: string[]): string[] {
  const remaining = [...baseline];
  return resourcesNow().filter((name) => {
    const index = remaining.indexOf(name);
    if (index === -1) return true;
    remaining.splice(index, 1);
    return false;
  });
}

const realExit = process.exit.bind(process);
let serveNext: () => void = () => {};
let baseline: string[] = [];

/** The call is over: its byte counts, exit code and whether this child can take another go back to the server. */
function finishCall(notReusable?: string): void {
  const call = current;
  if (!call) return;
  clearTimeout(exitGrace);
  const exitCode = call.exitCode ?? (Number(process.exitCode ?? 0) || 0);
  call.exitCode = exitCode;
  current = undefined;
  clearUnrefdTimers();
  const left = leftOver(baseline);
  const reason =
    notReusable ?? (call.startedProcess ? 'the call started a program' : left.length > 0 ? `the call left ${left.join(', ')} behind` : undefined);
  report({
    type: 'done',
    exitCode,
    stdoutBytes: bytesWritten(process.stdout) - call.stdoutFrom,
    stderrBytes: bytesWritten(process.stderr) - call.stderrFrom,
    ...(reason ? { notReusable: reason } : {}),
  });
  // Nothing of this call may reach another: a child that cannot be put back ends here.
  if (reason) process.exit(exitCode);
  serveNext();
}

/**
 * An empty event loop is where the process would have ended: the call is over. A command still
 * running then waits at a prompt nobody can answer: the call ends now (not at its time limit) with
 * input-required, and so does the child, by the real exit: Ink draws its last frame (the question)
 * in its exit hook, as part of the call's output, and what the prompt left pending goes with it.
 */
function loopEmptied(): void {
  if (isCurrent(current) && runningCommands > 0) {
    report({ type: 'input-required' });
    realExit(EXIT_INPUT_REQUIRED);
  }
  finishCall();
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

const backToTheStart = snapshotOfTheStart(cwd);

function runCall(request: RunRequest): void {
  backToTheStart();
  deniedThisCall.clear();
  calls += 1;
  const call: Call = { number: calls, stdoutFrom: bytesWritten(process.stdout), stderrFrom: bytesWritten(process.stderr) };
  current = call;
  report({ type: 'accepted' });
  process.argv = [process.execPath, bin, ...request.argv];
  Object.assign(process.env, request.env);
  // A module evaluates once per URL: the call's query makes the bin script run again, its imports stay loaded.
  const binOfTheCall = `${pathToFileURL(bin).href}?call=${call.number}`;
  callOfCode.run(call, () => void import(binOfTheCall).catch(uncaught(bin)));
}

serveNext = () => {
  const request = readRequest();
  // The server closed the pipe (it ends this child) or sent something else: the process ends.
  // Started from the loop, not from within beforeExit: a call that runs in microtasks alone would
  // otherwise end the process without another beforeExit.
  if (request) setImmediate(() => runCall(request));
};

const first = readRequest();
if (!first) {
  // The server closed the pipe or sent something else: this child never runs a command.
  process.stderr.write('child-bootstrap: no valid request on the control pipe\n');
  process.exit(70);
}
handOver?.();
process.exit = exitEndsTheCall(bin);
process.on('uncaughtException', uncaught(bin));
process.on('unhandledRejection', uncaught(bin));
dropWritesAfterExit(process.stdout);
dropWritesAfterExit(process.stderr);
watchUnrefdTimers();
watchProcessStarts();
await watchCommands(bin);
process.on('beforeExit', loopEmptied);
baseline = resourcesNow();
runCall(first);
