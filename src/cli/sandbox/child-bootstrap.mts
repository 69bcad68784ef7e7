// The first code a `mw` child runs: `node <sandbox flags> child-bootstrap.mts <cli bin script>`.
// The call's request (argv words and the user's token) arrives on the control pipe (fd 3) after the
// start, so nothing user-supplied is in /proc/<pid>/cmdline or the initial environment block; then
// the CLI's own bin script is imported and runs exactly as `mw` would. A child serves one request.
// Every permission the sandbox refuses is reported back on the same pipe (mw catches errors and
// prints its own box, so the server could not tell otherwise). Only node: built-ins: the sandbox
// allows this one file of the project, nothing around it.
import diagnosticsChannel from 'node:diagnostics_channel';
import { readSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CONTROL_FD = 3;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const MAX_REPORTED_DENIALS = 50;
/** Node's channels for the permission model's refusals (published in enforce mode too). */
const PERMISSION_SCOPES = ['fs', 'child', 'worker', 'addon', 'wasi', 'inspector'];

interface RunRequest {
  type: 'run';
  argv: string[];
  env: Record<string, string>;
}

function report(message: object): void {
  try {
    writeSync(CONTROL_FD, `${JSON.stringify(message)}\n`);
  } catch {
    // The server stopped listening (it is ending this child): nothing to tell anyone.
  }
}

function reportDenials(): void {
  const reported = new Set<string>();
  for (const scope of PERMISSION_SCOPES) {
    diagnosticsChannel.subscribe(`node:permission-model:${scope}`, (message) => {
      const { permission, resource } = message as { permission?: unknown; resource?: unknown };
      const key = `${String(permission)} ${String(resource)}`;
      if (reported.has(key) || reported.size >= MAX_REPORTED_DENIALS) return;
      reported.add(key);
      report({ type: 'denied', permission: String(permission), resource: String(resource ?? '') });
    });
  }
}

/** Blocks until one line arrives: the child has nothing else to do before its request. */
function readRequest(): RunRequest | undefined {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  for (;;) {
    const read = readSync(CONTROL_FD, buffer, 0, buffer.length, null);
    if (read === 0) return undefined;
    const chunk = Buffer.from(buffer.subarray(0, read));
    const newline = chunk.indexOf(0x0a);
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
    total += read;
    if (newline !== -1) break;
    if (total > MAX_REQUEST_BYTES) return undefined;
  }
  let request: Partial<RunRequest>;
  try {
    request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<RunRequest>;
  } catch {
    return undefined;
  }
  const strings = (values: unknown[]) => values.every((value) => typeof value === 'string');
  if (request.type !== 'run' || !Array.isArray(request.argv) || !strings(request.argv)) return undefined;
  if (typeof request.env !== 'object' || request.env === null || !strings(Object.values(request.env))) return undefined;
  return request as RunRequest;
}

const bin = process.argv[2];
if (!bin) {
  process.stderr.write('usage: child-bootstrap.mts <cli bin script>\n');
  process.exit(64);
}
reportDenials();
report({ type: 'ready' });
const request = readRequest();
if (!request) {
  // The server closed the pipe or sent something else: this child never runs a command.
  process.stderr.write('child-bootstrap: no valid request on the control pipe\n');
  process.exit(70);
}
process.argv = [process.execPath, bin, ...request.argv];
Object.assign(process.env, request.env);
await import(pathToFileURL(bin).href);
