# syntax=docker/dockerfile:1
# mittwald-mcp: the server runs its TypeScript source directly (Node 24 type stripping), so there is
# no compile step; the builder stage only installs dependencies and the pinned `mw` CLI.

FROM node:24-slim AS builder
ARG MW_CLI_VERSION=1.13.3
WORKDIR /app

# Production dependencies only; none of them needs an install script.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# The CLI at a pinned version, with its oclif manifest written now: without the manifest every `mw`
# start (one per tool call) loads every command file to find the one it runs. `oclif manifest`
# reads package.json from the current directory, hence the cd; --no-jit keeps it offline from git.
RUN npm install --global "@mittwald/cli@${MW_CLI_VERSION}" \
 && cd "$(npm root -g)/@mittwald/cli" \
 && npx --yes oclif@4 manifest --no-jit "$(npm root -g)/@mittwald/cli" \
 && test -s oclif.manifest.json


FROM node:24-slim AS runtime

# tini as PID 1: forwards SIGTERM to node (graceful shutdown) and reaps orphaned `mw` grandchildren.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MW_CLI=mw \
    CLI_COMPILE_CACHE_DIR=/var/cache/mittwald-mcp/compile-cache

COPY --from=builder /usr/local/lib/node_modules/@mittwald/cli /usr/local/lib/node_modules/@mittwald/cli
RUN ln -s ../lib/node_modules/@mittwald/cli/bin/run.js /usr/local/bin/mw \
 && mkdir -p "$CLI_COMPILE_CACHE_DIR" \
 && chown node:node "$CLI_COMPILE_CACHE_DIR"

WORKDIR /app
COPY --from=builder /app/node_modules ./node_modules
COPY package.json package-lock.json scopes.json ./
COPY config ./config
COPY src ./src
# lets operators without Node 24 generate keys: docker compose run --rm --no-deps mcp node scripts/generate-keys.ts
COPY scripts/generate-keys.ts ./scripts/

# Files stay root-owned (read-only for the server); only the compile cache and HOME are writable.
USER node

# Fill the children's compile cache once at build time, so the first tool calls start fast too.
RUN MW_SKIP_NEW_VERSION_CHECK=1 NODE_COMPILE_CACHE="$CLI_COMPILE_CACHE_DIR" mw --version

EXPOSE 3000
# slim has no curl: probe readiness with node's fetch
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "src/main.ts"]
