// npm run test:docker: the image and the compose stack built and run as a user builds and runs them,
// on this machine's Docker engine (../shared/tools/local-docker.sh, or the script LOCAL_DOCKER_SH
// names), with the stand-in `mw` CLI and the mittwald simulators. Not part of `npm test`: it needs
// root (the engine, its network namespace), takes minutes, and stops the engine it starts.
//   1. the engine with host networking, so builds reach the npm registry and Debian's mirror: the
//      stand-in packed, the image built with BuildKit without a lockfile for it (as from a fresh
//      clone), that lockfile copied out of the image as the README says, the image built from it
//      with the classic builder, then checked;
//   2. the engine in its loopback-only network namespace, where compose's own network and published
//      ports work as on a real host: stack-checks.ts runs there (docker run, compose, a tool call).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { IMAGE_LOCKFILE, planCliInstall } from '../../docker/install-cli.ts';
import { CommandError, docker, runCommand } from './docker.ts';
import { CHILD_UIDS, CLASSIC_IMAGE, IMAGE, SERVER_UID } from './images.ts';
import { check, CheckFailed, expectThat, seconds } from './report.ts';
import { packStandIn, STAND_IN_INSTALL, standInInstallPackage, standInLockfile } from './stand-in-package.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
/** the base images the Dockerfile and the compose file name (local-docker.sh `bases` builds stand-ins) */
const BASE_IMAGES = [
  ...readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').matchAll(/^ARG (?:NODE|DEBIAN)_IMAGE=(\S+)$/gm),
  ...readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8').matchAll(/^\s+image: (redis:\S+)$/gm),
].map((match) => match[1]);
const BUILD_ARGS = ['--network', 'host', '--build-arg', `MW_CLI_INSTALL=${STAND_IN_INSTALL}`];
/** the network namespace local-docker.sh's start-isolated runs the engine in */
const NETNS = process.env.LOCAL_DOCKER_NETNS ?? 'mcpdock';

function localDockerScript(): string {
  const candidates = process.env.LOCAL_DOCKER_SH
    ? [resolve(process.env.LOCAL_DOCKER_SH)]
    : ['../shared/tools/local-docker.sh', '../../shared/tools/local-docker.sh'].map((path) => resolve(repoRoot, path));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`local-docker.sh not found (looked for ${candidates.join(', ')}); set LOCAL_DOCKER_SH`);
  return found;
}

const engine = (script: string, ...steps: string[]) => runCommand('bash', [script, ...steps]);
/** the lines of a build log in which the cli stage says it resolved the tree (docker/install-cli.ts) */
const warningLines = (log: string) => log.split('\n').filter((line) => line.includes('warning: no '));

async function main(): Promise<void> {
  const started = performance.now();
  if (process.getuid?.() !== 0) throw new Error('test:docker needs root: it starts dockerd and a network namespace');
  const script = localDockerScript();
  // DOCKER_HOST and DOCKER_CONFIG of that engine, for every docker call from here on
  for (const [, name, value] of execFileSync('bash', [script, 'shell-env'], { encoding: 'utf8' }).matchAll(/(\w+)=(\S+)/g)) {
    process.env[name] = value;
  }
  const work = await mkdtemp(join(tmpdir(), 'mittwald-mcp-test-docker-'));
  try {
    await buildPhase(script);
    await runPhase(script, work);
    console.log(`\ntest:docker passed in ${seconds(started)} s`);
  } finally {
    await engine(script, 'stop').catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

async function buildPhase(script: string): Promise<void> {
  await check('engine with host networking (for the builds)', async () => {
    const installed = (await runCommand('sh', ['-c', 'command -v dockerd && docker compose version'], { allowFailure: true })).code === 0;
    if (!installed) await engine(script, 'install');
    await engine(script, 'start');
    const missing = [];
    for (const image of BASE_IMAGES) if ((await docker(['image', 'inspect', image], { allowFailure: true })).code !== 0) missing.push(image);
    if (missing.length) await engine(script, 'bases');
    return `${(await docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim()}${installed ? '' : ', installed'}${missing.length ? ', base images built' : ''}`;
  });

  let standInVersion = '';
  let warning = '';
  await check(`stand-in CLI packed into ${STAND_IN_INSTALL}, without a lockfile (as docker/cli in a fresh clone)`, async () => {
    standInVersion = (await packStandIn()).version;
    const plan = planCliInstall(STAND_IN_INSTALL, await standInInstallPackage(), undefined);
    expectThat(plan.from === 'resolved-now', `without a lockfile the install would be ${JSON.stringify(plan)}`);
    warning = plan.warning;
    return `mw-stand-in@${standInVersion}`;
  });
  process.env.TEST_DOCKER_STAND_IN_VERSION = standInVersion;

  await check('image builds without the lockfile (BuildKit, as docker compose up --build), saying so in one line', async () => {
    // the cli stage runs afresh every time: a step taken from the build cache prints nothing
    const build = await runCommand('docker', ['build', ...BUILD_ARGS, '--progress=plain', '--no-cache-filter', 'cli', '-t', IMAGE, repoRoot], {
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
    });
    const said = warningLines(`${build.stdout}\n${build.stderr}`);
    expectThat(said.length === 1 && said[0].includes(warning), `the build log's warning lines, instead of one:\n${said.join('\n') || '(none)'}`);
    return `${build.seconds.toFixed(0)} s: ${said[0].slice(said[0].indexOf('warning:'), said[0].indexOf('were resolved'))}…`;
  });

  await check(`the lockfile copied out of that image (docker run --entrypoint cat … ${IMAGE_LOCKFILE}) into ${STAND_IN_INSTALL}`, async () => {
    const copied = (await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', IMAGE, IMAGE_LOCKFILE])).stdout;
    const lock = JSON.parse(copied) as { packages: Record<string, { version?: string }> };
    const locked = lock.packages['node_modules/mw-stand-in']?.version;
    expectThat(locked === standInVersion, `the image's lockfile pins mw-stand-in@${locked}, the stand-in is ${standInVersion}`);
    await writeFile(standInLockfile, copied);
    return `${Object.keys(lock.packages).length - 1} packages`;
  });

  await check('image builds from that lockfile with the classic builder: exactly its tree, no warning', async () => {
    const build = await runCommand('docker', ['build', ...BUILD_ARGS, '-t', CLASSIC_IMAGE, repoRoot], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    const log = `${build.stdout}\n${build.stderr}`;
    const said = warningLines(log);
    expectThat(said.length === 0, `the build warns although the lockfile is there:\n${said.join('\n')}`);
    const installed = (await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', CLASSIC_IMAGE, IMAGE_LOCKFILE])).stdout;
    expectThat(installed === (await readFile(standInLockfile, 'utf8')), `${CLASSIC_IMAGE} keeps another lockfile than the one it was built from`);
    // the classic builder takes the step from its cache when an earlier run resolved the same tree
    const cached = /RUN node \/opt\/install\/install-cli\.ts[^\n]*\n ---> Using cache/.test(log);
    return `${build.seconds.toFixed(0)} s, ${cached ? 'its npm ci taken from the build cache' : 'npm ci'}`;
  });

  await check(`runtime image: no npm, npx, yarn or corepack, no lockfile but ${IMAGE_LOCKFILE}; mw on PATH`, async () => {
    const found = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c',
      'for c in npm npx yarn corepack; do command -v $c; done; find / -xdev \\( -name package-lock.json -o -name .package-lock.json \\) -print; mw --version']);
    const lines = found.stdout.trim().split('\n');
    expectThat(
      lines.length === 2 && lines[0] === IMAGE_LOCKFILE && lines[1].startsWith(`mw-stand-in/${standInVersion} `),
      `unexpected in the image:\n${found.stdout}`,
    );
    const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).stdout);
    return `${lines[1]}; image ${(size / 1e6).toFixed(0)} MB`;
  });

  await check('compile cache primed at build time serves mw under a child uid, read-only', async () => {
    const env = (await docker(['image', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', IMAGE])).stdout;
    const cacheDir = /^CLI_COMPILE_CACHE_DIR=(.+)$/m.exec(env)?.[1];
    expectThat(cacheDir, 'the image sets no CLI_COMPILE_CACHE_DIR');
    // A real command path that fails fast: the API address refuses connections.
    const run = await docker(['run', '--rm', '--network', 'none', '--read-only', '--tmpfs', '/tmp', '--user', `${CHILD_UIDS.first}:${CHILD_UIDS.first}`,
      '-e', 'NODE_DEBUG_NATIVE=COMPILE_CACHE', '-e', `NODE_COMPILE_CACHE=${cacheDir}`, '-e', 'HOME=/tmp', '-e', 'MW_SKIP_NEW_VERSION_CHECK=1',
      '-e', 'MITTWALD_API_TOKEN=not-a-token', '-e', 'MITTWALD_API_BASE_URL=http://127.0.0.1:9',
      '--entrypoint', 'mw', IMAGE, 'project', 'list', '--output=json'], { allowFailure: true });
    const accepted = (run.stderr.match(/ was accepted/g) ?? []).length;
    const missed = (run.stderr.match(/ was (not initialized|rejected)/g) ?? []).length;
    expectThat(accepted > 0 && missed <= accepted / 10, `compile cache: ${accepted} modules from the cache, ${missed} compiled afresh`);
    // the launcher's layout: the directory root's, the entries the server uid's, a link per child uid
    // for each of the two caches (cold children's, warm children's: their V8 flags differ)
    const layout = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c',
      `cd ${cacheDir} && stat -c '%u %A' . && for link in *-${CHILD_UIDS.first}; do stat -L -c '%u %A' "$link"; readlink "$link"; done`]);
    const [top, ...links] = layout.stdout.trim().split('\n');
    const pairs = links.flatMap((line, i) => (i % 2 === 0 ? [[line, links[i + 1]]] : []));
    expectThat(
      top === '0 drwxr-xr-x' && pairs.length === 2 && pairs.every(([shared, target]) => shared === `${SERVER_UID} drwxr-xr-x` && target.endsWith(`-${SERVER_UID}`)),
      `layout of ${cacheDir}:\n${layout.stdout}`,
    );
    return `uid ${CHILD_UIDS.first}: ${accepted} modules from the cache, ${missed} compiled; ${pairs.map(([, target]) => target).join(' and ')} (uid ${SERVER_UID}) in a directory of root's`;
  });
}

/**
 * local-docker.sh as shipped: its start_dockerd stops the running engine first, and that removes the
 * network namespace start-isolated has just made, so start-isolated cannot work. Where the script
 * still has that shape, a corrected copy in `work` starts the engine (stop first, then the
 * namespace); a fixed script is used as it is.
 */
async function scriptForIsolatedStart(script: string, work: string): Promise<string> {
  const text = await readFile(script, 'utf8');
  const stopInStart = /(start_dockerd\(\) \{[^\n]*\n)  stop\n/;
  if (!stopInStart.test(text)) return script;
  const corrected = text
    .replace(stopInStart, '$1')
    .replace(/(start\(\) \{ say "[^"]*";) start_dockerd/, '$1 stop; start_dockerd')
    .replace(/\n(  ip netns add )/, '\n  stop\n$1');
  const copy = join(work, 'local-docker.sh');
  await writeFile(copy, corrected);
  return copy;
}

async function runPhase(script: string, work: string): Promise<void> {
  await check('engine in its loopback-only network namespace (for compose)', async () => {
    await engine(await scriptForIsolatedStart(script, work), 'start-isolated');
    // The images built above are in the same data root.
    await docker(['image', 'inspect', IMAGE, CLASSIC_IMAGE]);
    return NETNS;
  });

  // PUBLIC_URL is https: a certificate for the TLS proxy in front of the published port.
  const key = join(work, 'proxy-key.pem');
  const cert = join(work, 'proxy-cert.pem');
  await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);

  // Its report lines appear as they happen.
  const checks = spawn('nsenter', [`--net=/run/netns/${NETNS}`, process.execPath, join(import.meta.dirname, 'stack-checks.ts')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: cert,
      TEST_DOCKER_WORK: work,
      TEST_DOCKER_TLS_KEY: await readFile(key, 'utf8'),
      TEST_DOCKER_TLS_CERT: await readFile(cert, 'utf8'),
    },
  });
  const code = await new Promise<number | null>((resolve) => checks.once('close', resolve));
  if (code !== 0) throw new CheckFailed(`the checks in network namespace ${NETNS} failed (exit ${code})`);
}

main().catch((error: Error) => {
  console.error(`\ntest:docker failed: ${error instanceof CheckFailed || error instanceof CommandError ? error.message : error.stack}`);
  process.exit(1);
});
