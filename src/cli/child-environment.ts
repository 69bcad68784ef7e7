// The complete environment of an `mw` child: an allow-list, never a copy of the server's own
// environment, which holds Redis URLs, signing keys and other secrets the CLI has no business seeing.
import type { CallDirectory } from './call-directory.ts';

export interface ChildEnvironmentOptions {
  /** PATH for the child (the server's PATH, passed in from config) */
  path: string;
  directory: CallDirectory;
  mittwaldToken: string;
  /** set only when the operator overrides the mittwald API origin (tests, staging) */
  apiBaseUrl?: string;
  /** shared V8 compile cache: each `mw` start compiles hundreds of modules; the cache makes that cheap */
  compileCacheDir?: string;
}

export function childEnvironment(options: ChildEnvironmentOptions): Record<string, string> {
  const { directory } = options;
  return {
    PATH: options.path,
    HOME: directory.home,
    TMPDIR: directory.tmpDir,
    XDG_CONFIG_HOME: directory.configDir,
    XDG_CACHE_HOME: directory.cacheDir,
    XDG_DATA_HOME: directory.dataDir,
    MW_CONFIG_DIR: directory.configDir,
    MW_CACHE_DIR: directory.cacheDir,
    MW_DATA_DIR: directory.dataDir,
    // No background npm lookups or self-updates from a server process.
    MW_SKIP_NEW_VERSION_CHECK: '1',
    MW_DISABLE_AUTOUPDATE: '1',
    CI: '1',
    NO_COLOR: '1',
    // The token travels in the environment only: argv is visible to every local user via ps.
    MITTWALD_API_TOKEN: options.mittwaldToken,
    ...(options.apiBaseUrl ? { MITTWALD_API_BASE_URL: options.apiBaseUrl } : {}),
    ...(options.compileCacheDir ? { NODE_COMPILE_CACHE: options.compileCacheDir } : {}),
  };
}
