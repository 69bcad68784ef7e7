// Quick throughput check: tools/list through the whole /mcp stack (origin check, bearer auth with a
// fake verifier, JSON body, precomputed listing) versus plain Express sending the same JSON.
// Usage: node test/mcp/bench/tools-list.ts [seconds]   (each server runs in its own process)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';

const BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

async function serve(kind: 'mcp' | 'plain'): Promise<void> {
  const { buildMcpApp } = await import('../support/mcp-app.ts');
  const { fakeVerifier, testConfig } = await import('../support/fakes.ts');
  const verifier = fakeVerifier({ bench: { scopes: testConfig().mittwald.scopes.upstream } });
  const built = buildMcpApp({ verifier });
  let app = built.app;
  if (kind === 'plain') {
    const { createToolListing } = await import('../../../src/mcp/protocol/tool-listing.ts');
    const json = `{"jsonrpc":"2.0","id":1,"result":${createToolListing(built.catalogue).resultJson().toString()}}`;
    app = express();
    app.post('/mcp', (_req, res) => {
      res.type('application/json').send(json);
    });
  }
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  });
}

function load(port: number, seconds: number, concurrency = 32): Promise<{ perSecond: number; bytes: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let bytes = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent, headers: { authorization: 'Bearer bench', 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
        (res) => {
          res.on('data', (c: Buffer) => (bytes = c.length + (res.statusCode === 200 ? bytes : 0)));
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(BODY);
    });
  const worker = async () => {
    while (Date.now() < until) {
      await one();
      done++;
    }
  };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
    agent.destroy();
    return { perSecond: Math.round(done / seconds), bytes };
  });
}

async function measure(kind: 'mcp' | 'plain', seconds: number) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  await load(port, 1); // warm-up
  const result = await load(port, seconds);
  child.kill();
  return result;
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as 'mcp' | 'plain');
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const plain = await measure('plain', seconds);
  const mcp = await measure('mcp', seconds);
  console.log(JSON.stringify({ plainExpressPerSecond: plain.perSecond, mcpToolsListPerSecond: mcp.perSecond, ratio: +(mcp.perSecond / plain.perSecond).toFixed(2) }));
}
