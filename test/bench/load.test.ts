// The load generator decides every throughput figure: it must stop on its bounds, count failures
// instead of hiding them, and report the latency a real request saw.
import { describe, expect, it } from '@jest/globals';
import { runLoad } from '../../bench/load.ts';
import { percentile } from '../../bench/stats.ts';

describe('runLoad', () => {
  it('stops after the requested count, whatever the concurrency', async () => {
    let sent = 0;
    const result = await runLoad({ concurrency: 8, count: 50, durationMs: 10_000, request: async () => void sent++ });
    expect(sent).toBe(50);
    expect(result.requests).toBe(50);
    expect(result.errors).toBe(0);
  });

  it('stops when the time is over', async () => {
    // no count: only the 100 ms bound ends it; a request takes at least 10 ms, so two workers get
    // at most ten each (fewer when the machine is slow), and never run on
    const result = await runLoad({ concurrency: 2, durationMs: 100, request: () => new Promise((resolve) => setTimeout(resolve, 10)) });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.requests).toBeLessThanOrEqual(2 * (100 / 10 + 1));
  });

  it('counts failed requests and keeps the first message', async () => {
    let n = 0;
    const result = await runLoad({
      concurrency: 1,
      count: 4,
      durationMs: 10_000,
      request: async () => {
        if (n++ % 2) throw new Error(`failure ${n}`);
      },
    });
    expect(result.errors).toBe(2);
    expect(result.firstError).toBe('failure 2');
  });
});

describe('percentile', () => {
  it('answers a value some request actually saw (nearest rank)', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
