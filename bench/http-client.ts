// A lean HTTP client for the load loops: node:http over a keep-alive agent costs the client far
// less CPU than fetch, which matters when client and server share two cores.
import { Agent, request } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

export function send(agent: Agent, url: string, init: HttpRequest = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) };
    const outgoing = request(url, { agent, method: init.method ?? 'GET', headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/** Fails loudly on anything but 2xx, so a broken endpoint cannot pass as a fast one. */
export async function sendExpectingSuccess(agent: Agent, url: string, init: HttpRequest = {}): Promise<HttpResponse> {
  const response = await send(agent, url, init);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${response.body.slice(0, 200)}`);
  }
  return response;
}
