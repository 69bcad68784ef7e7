// What a `mw` child is allowed, decided here and nowhere else:
// - files (layer 2, Node's permission model): it may read the CLI's install tree, the bootstrap,
//   its own call directory, the compile cache, the CA file and what the operator adds; write only
//   its call directory (and the compile cache, which DAC keeps read-only under per-call uids);
//   start no processes, workers or addons, attach no inspector;
// - its uid (layer 3): with a launcher, an unprivileged uid of its own, no groups, no capabilities,
//   no_new_privs, killed when the launcher dies;
// - its resources (layer 4): address space for data, CPU seconds, open files, file size, and
//   processes (only under a uid of its own: RLIMIT_NPROC counts every process of the real uid).
// The result is the exact command line and environment a child starts with.
import { dirname, join } from 'node:path';
import type { ResourceLimits } from '../../config.ts';
import type { CallDirectory } from '../call-directory.ts';
import { childEnvironment } from '../child-environment.ts';
import type { CliInstallTree } from './cli-install-tree.ts';
import type { PreloadLevel } from './spawner.ts';

/** Files `mw` looks for in its working directory and every parent (context providers of mw ≥ 1.14). */
export const CONTEXT_FILES = ['.mw-context.json', '.ddev/config.yaml', 'terraform.tfstate'];

/**
 * Facts about the machine that libraries read at start and fail hard on when refused (is-wsl via
 * oclif: `existsSync` throws ERR_ACCESS_DENIED instead of answering false). None holds a secret.
 */
const SYSTEM_FACTS = ['/proc/version', '/proc/sys/fs/binfmt_misc/WSLInterop', '/run/WSL'];

/**
 * V8 flags of a warm child (one that preloads): it compiles every function of what it loads while it
 * waits, so its call runs no compiler for them (a third of a warm call's time with the stand-in).
 * They name a compile cache directory of their own (Node's cache is per V8 flags).
 */
export const WARM_NODE_FLAGS = ['--no-lazy'];

export interface ChildSandbox {
  /** layer 2: Node's permission model */
  fileSystem: boolean;
  /** layer 4: absent when off (no prlimit, or switched off) */
  limits?: { values: ResourceLimits; prlimit: string };
  /** layer 3: absent when the child runs as the server's uid */
  uid?: { uid: number; gid: number; setpriv: string };
}

export interface ChildPlanInput {
  node: string;
  cli: CliInstallTree;
  /** real path of sandbox/child-bootstrap.mts */
  bootstrap: string;
  directory: CallDirectory;
  sandbox: ChildSandbox;
  /** PATH handed to the child */
  path: string;
  apiBaseUrl?: string;
  compileCacheDir?: string;
  /** proxy and CA variables passed through (see config: cli.passThroughEnvironment) */
  passThrough: Record<string, string>;
  /** operator-added read paths (CLI_SANDBOX_READ_PATHS), real paths */
  extraReadPaths: string[];
  /** what the bootstrap loads before it waits for the request (default: none) */
  preload?: PreloadLevel;
}

export interface ChildPlan {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface FileReach {
  read: string[];
  write: string[];
}

export function fileReach(input: ChildPlanInput): FileReach {
  const { directory } = input;
  const caFile = input.passThrough.NODE_EXTRA_CA_CERTS;
  const read = [
    input.cli.root,
    ...input.cli.dependencyDirs,
    input.bootstrap,
    directory.home,
    ...(input.compileCacheDir ? [input.compileCacheDir] : []),
    ...(caFile ? [caFile] : []),
    ...contextFileProbes(directory),
    ...SYSTEM_FACTS,
    ...input.extraReadPaths,
  ];
  const write = [directory.home, ...(input.compileCacheDir ? [input.compileCacheDir] : [])];
  return { read: [...new Set(read)], write };
}

/**
 * mw stats each context file in every directory above its cwd and fails on anything but ENOENT,
 * so those exact paths are readable; the call root check (call-root.ts) makes sure none exists.
 */
function contextFileProbes(directory: CallDirectory): string[] {
  const probes: string[] = [];
  for (let dir = dirname(directory.home); ; dir = dirname(dir)) {
    for (const file of CONTEXT_FILES) probes.push(join(dir, file));
    if (dirname(dir) === dir) return probes;
  }
}

/** No --allow-child-process, --allow-worker, --allow-addons, --allow-wasi or --allow-inspector. */
export function permissionFlags(reach: FileReach): string[] {
  return ['--permission', ...reach.read.map((p) => `--allow-fs-read=${p}`), ...reach.write.map((p) => `--allow-fs-write=${p}`)];
}

export function limitArgs(limits: ResourceLimits, withProcessLimit: boolean): string[] {
  return [
    `--data=${limits.memoryBytes}`,
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 2}`,
    `--nofile=${limits.openFiles}`,
    `--fsize=${limits.fileSizeBytes}`,
    ...(withProcessLimit ? [`--nproc=${limits.processes}`] : []),
  ];
}

export function uidArgs(uid: number, gid: number): string[] {
  // setpriv keeps the launcher's capabilities up to its exec; with no inheritable, no ambient ones and
  // no_new_privs, the exec of a program without file capabilities as a non-root uid leaves none.
  return [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--pdeathsig=KILL'];
}

export function planChild(input: ChildPlanInput): ChildPlan {
  const { sandbox } = input;
  const preload = input.preload ?? 'none';
  const node = [
    input.node,
    ...(preload === 'none' ? [] : WARM_NODE_FLAGS),
    ...(sandbox.fileSystem ? permissionFlags(fileReach(input)) : []),
    input.bootstrap,
    `--preload=${preload}`,
    `--cwd=${input.directory.cwd}`,
    input.cli.bin,
  ];
  const wrapped = [
    ...(sandbox.limits ? [sandbox.limits.prlimit, ...limitArgs(sandbox.limits.values, Boolean(sandbox.uid)), '--'] : []),
    ...(sandbox.uid ? [sandbox.uid.setpriv, ...uidArgs(sandbox.uid.uid, sandbox.uid.gid), '--'] : []),
    ...node,
  ];
  return {
    command: wrapped[0],
    args: wrapped.slice(1),
    // Started in the call root, which root without CAP_DAC_READ_SEARCH (the launcher in the
    // container) can enter before setpriv switches the uid; the bootstrap moves into the working
    // directory, which only the child's uid can enter.
    cwd: dirname(input.directory.home),
    env: childEnvironment({
      path: input.path,
      directory: input.directory,
      apiBaseUrl: input.apiBaseUrl,
      compileCacheDir: input.compileCacheDir,
      passThrough: input.passThrough,
    }),
  };
}
