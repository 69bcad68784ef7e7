// An answer its client does not read is ended: when it runs more than the cap ahead, or when bytes
// wait and the client takes none for a while. A client that reads gets every byte, however large
// the answer is up to the cap. On loopback the kernel takes a few MB before anything waits in Node.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createUnreadLimit, type UnreadLimits } from '../../src/mcp/http/unread-limit.ts';
import { listenOnLoopback, type Listening } from '../support/listen.ts';
import { waitUntil } from '../support/processes.ts';
import { silentLogger } from './support/fakes.ts';

const MB = 1024 * 1024;
let listening: Listening | undefined;

afterEach(async () => {
  await listening?.close();
  listening = undefined;
});

/** An app answering GET /answer with `chunks` writes of 1 MB (as the SDK's stream writes its events), after `silentMs`. */
async function serve(limits: UnreadLimits, chunks: number, silentMs = 0) {
  const logger = silentLogger();
  const outcome = { closed: false, finished: false };
  const app = express();
  app.get('/answer', createUnreadLimit(limits, logger), async (_req, res) => {
    res.once('close', () => (outcome.closed = true));
    res.once('finish', () => (outcome.finished = true));
    res.type('text/plain');
    res.flushHeaders();
    await new Promise((resolve) => setTimeout(resolve, silentMs));
    for (let i = 0; i < chunks; i++) res.write(Buffer.alloc(MB, 'x'));
    res.end();
  });
  listening = await listenOnLoopback(app);
  return { url: listening.url, outcome, logger };
}

function requestWithoutReading(url: string) {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET /answer HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  socket.pause();
  return socket;
}

describe('an answer nobody reads', () => {
  it.each<[string, UnreadLimits, number, string]>([
    ['more than the cap waits unread', { maxUnreadBytes: 4 * MB, stallMs: 60_000 }, 32, 'more than 4194304 bytes unread'],
    // 12 MB: more than the kernel takes, less than the cap
    ['its bytes wait and the client takes none', { maxUnreadBytes: 64 * MB, stallMs: 300 }, 12, 'no byte taken in 300 ms'],
  ])('is ended when %s', async (_case, limits, chunks, reason) => {
    const { url, outcome, logger } = await serve(limits, chunks);
    const socket = requestWithoutReading(url);
    await waitUntil(() => outcome.closed, 'the answer to be ended', 20_000);
    expect(outcome.finished).toBe(false);
    expect(logger.lines.join('')).toContain(reason);
    socket.destroy();
  });
});

describe('an answer its client reads', () => {
  // The stall limits here are far above any pause of a reader on a busy machine (the reader shares
  // the server's event loop): these cases show what the cap and the silence let through.
  it('arrives whole, up to the cap at once', async () => {
    const { url, outcome } = await serve({ maxUnreadBytes: 20 * MB, stallMs: 10_000 }, 16);
    const body = await (await fetch(`${url}/answer`)).arrayBuffer();
    expect(body.byteLength).toBe(16 * MB);
    expect(outcome.finished).toBe(true);
  });

  it('arrives whole when the client reads slowly, and after a long silence (a call that runs for minutes)', async () => {
    const { url, outcome, logger } = await serve({ maxUnreadBytes: 64 * MB, stallMs: 5_000 }, 12, 6_000);
    const socket = requestWithoutReading(url);
    let received = 0;
    // a chunk (at most 64 kB) every 10 ms: the kernel takes something well within the stall limit
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), 10);
    });
    socket.resume();
    try {
      await waitUntil(() => outcome.finished || outcome.closed, 'the answer to be done', 30_000);
      expect(logger.lines).toEqual([]);
      expect(outcome.finished).toBe(true);
    } finally {
      socket.destroy();
    }
    expect(received).toBeGreaterThan(0);
  }, 40_000);
});
