// A newcomer whose `node` is older than 24 (Debian and Ubuntu LTS ship 18–22): each entry point the
// README names says in one line which Node it found, which it needs and where to get it, and exits,
// instead of a stack trace (Node 20) or a server on a Node it was not made for (Node 22); `npm
// install` refuses with npm's own engine message. The old Node comes from the npm registry as
// .ci/run's Node 24 does; npm is the one on PATH, run by the old node first on PATH as a newcomer's
// npm is. Node 22, not 20: npm 12 no longer runs on 20, npm 10 and 11 run on both.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitUntil } from './support/processes.ts';
import { freePort } from './support/redis-server.ts';

const OLD_NODE = '22.23.5';
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  engines: { node: string };
  scripts: Record<string, string>;
};
const neededMajor = /\d+/.exec(pkg.engines.node)![0];
const ONE_LINE = new RegExp(
  `^mittwald-mcp needs Node\\.js ${neededMajor} or newer, this is Node\\.js ${OLD_NODE.replaceAll('.', '\\.')} \\(/\\S+/node\\): ` +
    '.*"nvm install".*"fnm .*\\.nvmrc.*Docker image',
);

/** our environment with `nodeBin`'s node first on PATH, without the npm_* variables of an outer `npm test` */
function environmentWith(nodeBin: string): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('npm_'));
  return { ...Object.fromEntries(inherited), PATH: `${nodeBin}:${process.env.PATH}` };
}

interface Run {
  closed: boolean;
  code: number | null;
  output: string;
  /** resolves when npm and every process of its group it waited for are done */
  exited: Promise<void>;
  /** SIGTERM (or `signal`) to npm's whole process group */
  stop(signal?: NodeJS.Signals): void;
}

function startNpm(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Run {
  // a process group of its own, so that whatever it started goes with it (on an old checkout, jest)
  const child = spawn('npm', args, { cwd: options.cwd ?? projectRoot, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = {
    closed: false,
    code: null,
    output: '',
    exited: new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        run.closed = true;
        run.code = code;
        resolve();
      });
    }),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    },
  };
  child.stdout.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  return run;
}

async function npm(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Run> {
  const run = startNpm(args, options);
  // an entry point the check let through would run on (a server, the whole suite): end it
  const timer = setTimeout(() => run.stop('SIGKILL'), 90_000);
  await run.exited;
  clearTimeout(timer);
  return run;
}

let oldNode: NodeJS.ProcessEnv;
const thisNode = environmentWith(dirname(process.execPath));

beforeAll(async () => {
  const { stdout } = await promisify(execFile)('bash', [join(projectRoot, '.ci/provision-node'), OLD_NODE], { timeout: 280_000 });
  // a server the check let through listens on a port of its own, not on the 3000 of someone else's
  oldNode = { ...environmentWith(stdout.trim()), PORT: String(await freePort()) };
}, 300_000);

describe(`on Node ${OLD_NODE}`, () => {
  it.each([
    ['start', ['start']],
    ['test', ['test']],
    ['sandbox', ['run', 'sandbox']],
    ['bench', ['run', 'bench']],
  ])('npm %s says in one line which Node it needs and where to get it, and runs nothing else', async (script, args) => {
    const { code, output } = await npm(args, { env: oldNode });
    expect(code).not.toBe(0);
    // npm's announcement of the script, then the check's line: no stack trace, no typecheck or jest
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toEqual([`> ${pkg.name}@${pkg.version} ${script}`, `> ${pkg.scripts[script]}`, expect.stringMatching(ONE_LINE)]);
  }, 120_000);

  describe('npm install', () => {
    // package.json without its dependencies (npm weighs the project's engines before it fetches
    // anything) and the project's .npmrc, in a directory of its own: offline, node_modules untouched
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'mwmcp-engines-'));
      writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...pkg, dependencies: undefined, devDependencies: undefined }));
      copyFileSync(join(projectRoot, '.npmrc'), join(copy, '.npmrc'));
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));
    const install = ['install', '--offline', '--no-audit', '--no-fund'];

    it("refuses with npm's engine message", async () => {
      const { code, output } = await npm(install, { env: oldNode, cwd: copy });
      expect(code).not.toBe(0);
      expect(output).toContain('npm error code EBADENGINE');
      expect(output).toContain(`Required: {"node":"${pkg.engines.node}"}`);
    }, 120_000);

    it(`goes through on Node ${process.versions.node}`, async () => {
      const { code, output } = await npm(install, { env: thisNode, cwd: copy });
      expect({ code, output }).toEqual({ code: 0, output: expect.not.stringContaining('EBADENGINE') });
    }, 120_000);
  });
});

it("names in .nvmrc and .node-version the Node that package.json's engines need", () => {
  for (const file of ['.nvmrc', '.node-version']) expect(readFileSync(join(projectRoot, file), 'utf8').trim()).toBe(neededMajor);
});

it(`npm start on Node ${process.versions.node} serves and prints nothing of the check`, async () => {
  const port = await freePort();
  const start = startNpm(['start'], { env: { ...thisNode, PORT: String(port), LOG_LEVEL: 'warn' } });
  try {
    const serving = async () => {
      if (start.closed) throw new Error(`npm start ended with ${start.code}: ${start.output}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    };
    await waitUntil(serving, 'npm start to serve /healthz', 90_000);
  } finally {
    start.stop();
    await start.exited;
  }
  expect(start.output).toContain(`> ${pkg.scripts.start}`);
  expect(start.output).not.toContain('needs Node.js');
}, 120_000);
