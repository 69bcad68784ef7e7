# mittwald-mcp: the server runs its TypeScript source directly (Node 24 type stripping), so there is
# no compile step. The build stages install the server's production dependencies (`npm ci` of the
# committed lockfile) and the `mw` CLI (see stage cli); the runtime stage copies their results and
# node's binary onto Debian, without npm. Builds with the classic builder and with
# BuildKit; nothing is fetched from Docker Hub but the base images.
#
# The base images by version; pin them by digest too for builds that do not move (README, "The image"):
#   --build-arg NODE_IMAGE=node:24.22.3-slim@sha256:<digest> --build-arg DEBIAN_IMAGE=debian:bookworm-slim@sha256:<digest>
# NODE_IMAGE provides node and npm to the build stages and the node binary to the runtime stage.
ARG NODE_IMAGE=node:24.22.3-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim


FROM ${NODE_IMAGE} AS server-deps
WORKDIR /app
COPY package.json package-lock.json ./
# None of them needs an install script. Only node_modules leaves this stage, without npm's hidden lockfile.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && rm node_modules/.package-lock.json


# oclif at a pinned version, only to write the CLI's manifest below.
FROM ${NODE_IMAGE} AS oclif
WORKDIR /opt/oclif
COPY docker/oclif/package.json docker/oclif/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier


# The mw CLI: MW_CLI_INSTALL names a directory of the build context whose package.json depends on
# exactly one oclif CLI with a `mw` executable, at one exact version; MW_CLI_VERSION (empty: that one)
# asks for another. With the directory's package-lock.json, `npm ci` installs exactly its tree, and a
# lockfile for another version fails the build; without one the tree is resolved now, one warning line
# says so, and the image keeps the lockfile to be copied out (README, "Reproducible builds").
# Default: docker/cli (@mittwald/cli); the tests use test/docker/cli (the stand-in, packed).
FROM ${NODE_IMAGE} AS cli
ARG MW_CLI_INSTALL=docker/cli
ARG MW_CLI_VERSION=
WORKDIR /opt/mw
COPY docker/install-cli.ts /opt/install/
COPY ${MW_CLI_INSTALL}/ ./
RUN node /opt/install/install-cli.ts "${MW_CLI_INSTALL}" "${MW_CLI_VERSION}"

# The oclif manifest, written now: without it every `mw` start (one per tool call) loads every
# command file to find the one it runs, and the server reads the command list from it at start.
# --no-jit keeps oclif offline; the update check is off for the same reason.
COPY --from=oclif /opt/oclif /opt/oclif
RUN cd "node_modules/$(node -p 'Object.keys(require("./package.json").dependencies)[0]')" \
 && OCLIF_SKIP_NEW_VERSION_CHECK=1 /opt/oclif/node_modules/.bin/oclif manifest --no-jit . \
 && test -s oclif.manifest.json

# The children's compile cache, filled by real command paths as the server's uid and linked for every
# uid the launcher runs children under (see the script). Both build arguments are the runtime
# settings of the same names (docker-compose.yml passes them from .env). The directory itself is root's.
ARG CLI_SERVER_UID=60000
ARG CLI_CHILD_UIDS=60100-60199
COPY docker/prime-compile-cache.ts /opt/prime/
RUN install -d -o "${CLI_SERVER_UID%%:*}" -g "${CLI_SERVER_UID##*:}" /var/cache/mittwald-mcp/compile-cache
USER ${CLI_SERVER_UID}
RUN node /opt/prime/prime-compile-cache.ts /var/cache/mittwald-mcp/compile-cache /opt/mw/node_modules/.bin/mw ${CLI_CHILD_UIDS}
USER root
RUN chown 0:0 /var/cache/mittwald-mcp/compile-cache


# Debian with node's binary and nothing else from the node image: no npm, npx, corepack or yarn.
FROM ${DEBIAN_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to node (graceful shutdown) and reaps orphaned `mw` grandchildren.
ARG TINI_VERSION=0.19.0-1+b3
RUN apt-get update \
 && apt-get install -y --no-install-recommends "tini=${TINI_VERSION}" \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb
COPY --from=server-deps /usr/local/bin/node /usr/local/bin/node

# The uid leases (CLI_UID_LEASE_DIR) live in STATE_DIR's tmpfs: the root is read-only, and the
# launcher is alone in the container's pid namespace (README, "Hardening").
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MW_CLI=mw \
    CLI_COMPILE_CACHE_DIR=/var/cache/mittwald-mcp/compile-cache \
    STATE_DIR=/var/lib/mittwald-mcp \
    CLI_UID_LEASE_DIR=/var/lib/mittwald-mcp/uids

# Read-only for the server and the children, the compile cache included (its entries are the
# server uid's, as the launcher lays it out): no child can change what another one runs.
COPY --from=cli /opt/mw/node_modules /opt/mw/node_modules
# the tree above as a lockfile, to be copied out when this build resolved it (README, "Reproducible builds")
COPY --from=cli /opt/mw/package-lock.json /opt/mw/package-lock.json
COPY --from=cli /var/cache/mittwald-mcp/compile-cache /var/cache/mittwald-mcp/compile-cache
RUN ln -s /opt/mw/node_modules/.bin/mw /usr/local/bin/mw

WORKDIR /app
COPY --from=server-deps /app/node_modules ./node_modules
COPY package.json scopes.json ./
COPY config ./config
COPY src ./src
# lets operators without Node 24 generate keys: docker compose run --rm --no-deps mcp node scripts/generate-keys.ts
COPY scripts/generate-keys.ts ./scripts/

# No USER: started as root, `node src/main.ts` is the launcher (privilege separation), which runs the
# server as CLI_SERVER_UID (60000) and each `mw` child under a uid of its own from CLI_CHILD_UIDS;
# docker-compose.yml leaves it three capabilities and nothing else (README, "Hardening").
EXPOSE 3000
# slim has no curl: probe readiness with node's fetch
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
# The server's own V8 flags go here, as in `npm start` (not into NODE_OPTIONS, which the health
# probe would inherit): the semi-space cap keeps a burst of requests from leaving ~100 MB resident.
CMD ["node", "--max-semi-space-size=8", "src/main.ts"]
