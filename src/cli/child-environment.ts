// The complete starting environment of an `mw` child: an allow-list, never a copy of the server's
// own environment, which holds Redis URLs, signing keys and other secrets the CLI has no business
// seeing. The user's token is not in it either: it reaches the child over its control pipe after
// the start (see sandbox/child-bootstrap.mts), so it is never part of /proc/<pid>/environ.
import type { CallDirectory } from './call-directory.ts';

/**
 * No background npm lookups or self-updates from a server process: the init hooks of mw's plugins
 * warn-if-update-available and update run before every command, and these keep them from starting
 * programs and writing files (they still read npm's config files: test/stand-in/plugin-hooks.test.ts).
 */
export const PLUGIN_HOOKS_OFF = { MW_SKIP_NEW_VERSION_CHECK: '1', MW_DISABLE_AUTOUPDATE: '1' } as const;

export interface ChildEnvironmentOptions {
  /** PATH for the child (the server's PATH, passed in from config) */
  path: string;
  directory: CallDirectory;
  /** set only when the operator overrides the mittwald API origin (tests, staging) */
  apiBaseUrl?: string;
  /** shared V8 compile cache: each `mw` start compiles hundreds of modules; the cache makes that cheap */
  compileCacheDir?: string;
  /** proxy and CA settings of the server (HTTPS_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS, …): no user secret */
  passThrough?: Record<string, string>;
}

export function childEnvironment(options: ChildEnvironmentOptions): Record<string, string> {
  const { directory } = options;
  return {
    ...options.passThrough,
    PATH: options.path,
    HOME: directory.home,
    TMPDIR: directory.tmpDir,
    XDG_CONFIG_HOME: directory.configDir,
    XDG_CACHE_HOME: directory.cacheDir,
    XDG_DATA_HOME: directory.dataDir,
    MW_CONFIG_DIR: directory.configDir,
    MW_CACHE_DIR: directory.cacheDir,
    MW_DATA_DIR: directory.dataDir,
    // oclif asks the passwd database for the shell when SHELL is unset, which fails for a uid
    // without an entry (the per-call uids have none); mw starts no shell either way.
    SHELL: '/bin/sh',
    ...PLUGIN_HOOKS_OFF,
    CI: '1',
    NO_COLOR: '1',
    ...(options.apiBaseUrl ? { MITTWALD_API_BASE_URL: options.apiBaseUrl } : {}),
    ...(options.compileCacheDir ? { NODE_COMPILE_CACHE: options.compileCacheDir } : {}),
  };
}
