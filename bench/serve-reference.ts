// A reference server as a bench child, so it gets its own core like the server under test.
// The parent sends which reference and the tool list to serve.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { reportReady, serveParent } from './bench-child.ts';
import { startPrecomputedExpressServer } from './references/precomputed-express.ts';
import { startSdkPerRequestServer } from './references/sdk-per-request.ts';

export type ReferenceKind = 'sdk-per-request' | 'precomputed-express';
export interface ReferenceInit {
  type: 'start';
  kind: ReferenceKind;
  tools: Tool[];
}

const STARTERS = { 'sdk-per-request': startSdkPerRequestServer, 'precomputed-express': startPrecomputedExpressServer };

process.once('message', async (init: ReferenceInit) => {
  const server = await STARTERS[init.kind](init.tools);
  serveParent(() => server.close());
  reportReady(server.url);
});
