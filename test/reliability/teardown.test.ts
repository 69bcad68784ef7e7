// What a suite leaves running after its teardown keeps its jest worker alive, and jest then kills
// it ("A worker process has failed to exit gracefully"). The mittwald simulator's slow answers were
// such a thing: a request our server had given up on still waited out its delay (20 s in the
// upstream-fault suite) after the simulator was closed. Checked in a process of its own, which
// exits by itself only when nothing is left running: a leftover 10-minute delay would hold it
// past the test's time limit.
import { afterAll, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';

const simulatorModule = new URL('../support/mittwald-oauth/simulator.ts', import.meta.url).href;

const script = `
import { request } from 'node:http';
const { startMittwaldOAuthSimulator } = await import(${JSON.stringify(simulatorModule)});
const simulator = await startMittwaldOAuthSimulator({ clientId: 'client', redirectUri: 'http://127.0.0.1:1/cb', scopes: ['user:read'] });
simulator.setSlow(10 * 60_000);
const body = 'grant_type=refresh_token&client_id=client&refresh_token=r';
const outgoing = request(simulator.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } });
outgoing.on('error', () => {});
outgoing.end(body);
// the client gives up on the slow answer, then the simulator is closed
setTimeout(async () => {
  outgoing.destroy();
  await simulator.close();
  console.log('closed');
}, 200);
`;

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

it('a slow mittwald simulator keeps nothing running once its client gave up and it was closed', async () => {
  child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise((resolve) => child!.once('exit', resolve));
  expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'closed' });
});
