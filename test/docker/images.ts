// The images test:docker builds (run.ts) and runs (stack-checks.ts).
/** built with BuildKit, as `docker compose build` builds; compose runs this one */
export const IMAGE = 'mittwald-mcp:test';
/** built with the classic builder; `docker run --env-file` runs this one */
export const CLASSIC_IMAGE = 'mittwald-mcp:test-classic';
/** CLI_SERVER_UID's and CLI_CHILD_UIDS' defaults (src/config.ts): the uids the launcher starts */
export const SERVER_UID = 60000;
export const CHILD_UIDS = { first: 60100, last: 60199 };
