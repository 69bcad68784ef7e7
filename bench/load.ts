// A bounded closed-loop load generator: `concurrency` workers each send one request at a time until
// the count is used up or the time is over, whichever comes first. It never runs unbounded.
import { summarise } from './stats.ts';

export interface LoadOptions {
  concurrency: number;
  /** stop after this long */
  durationMs: number;
  /** stop after this many requests in total (default: only the time bounds the run) */
  count?: number;
  /** one request; throws when it failed */
  request: (worker: number) => Promise<void>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const begin = performance.now();
  const deadline = begin + options.durationMs;

  const worker = async (index: number) => {
    while (started < limit && performance.now() < deadline) {
      started++;
      const sent = performance.now();
      try {
        await options.request(index);
        latencies.push(performance.now() - sent);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));

  const seconds = (performance.now() - begin) / 1000;
  const { p50Ms, p99Ms } = summarise(latencies);
  return { requests: latencies.length + errors, errors, firstError, perSecond: latencies.length / seconds, p50Ms, p99Ms };
}
