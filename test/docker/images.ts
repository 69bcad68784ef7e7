// The images test:docker builds (run.ts) and runs (stack-checks.ts).
/** built with BuildKit, as `docker compose build` builds; compose runs this one */
export const IMAGE = 'mittwald-mcp:test';
/** built with the classic builder; `docker run --env-file` runs this one */
export const CLASSIC_IMAGE = 'mittwald-mcp:test-classic';
import { loadConfig } from '../../src/config.ts';

/** CLI_SERVER_UID's and CLI_CHILD_UIDS' defaults: the uids the launcher starts */
const { isolation } = loadConfig({}).cli;
export const SERVER_UID = isolation.serverUser.uid;
export const CHILD_UIDS = isolation.childUids!;
