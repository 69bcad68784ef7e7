// The images test:docker builds (run.ts) and runs (stack-checks.ts).
/** built with BuildKit, as `docker compose build` builds; compose runs this one */
export const IMAGE = 'mittwald-mcp:test';
/** built with the classic builder; `docker run --env-file` runs this one */
export const CLASSIC_IMAGE = 'mittwald-mcp:test-classic';
