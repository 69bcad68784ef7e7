// test:docker's report: one line per check with its time and what it found; the first failure ends
// the run (later checks build on earlier ones) with everything the failing step printed.

export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

/** Runs one check; its return value (if any) is shown after the name. */
export async function check(name: string, body: () => Promise<string | void>): Promise<void> {
  const started = performance.now();
  try {
    const detail = await body();
    console.log(`ok    ${name} (${seconds(started)} s)${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    console.log(`FAIL  ${name} (${seconds(started)} s)`);
    throw new CheckFailed(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Throws with `message` unless `condition` holds. */
export function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
