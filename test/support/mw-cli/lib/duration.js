// mw's duration flags ("90s", "10m", "30d", "1y"; --wait-timeout, --expires). A bare number is
// milliseconds, as in the parser mw uses.
const UNIT_MS = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, y: 365 * 86400e3 };

export function parseDuration(text, flagName) {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?$/.exec(String(text).trim());
  if (!match) throw new Error(`Invalid duration "${text}" for --${flagName}; use e.g. 90s, 10m or 30d.`);
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
}

/** Polls tester once a second, as mw's --wait does, until it returns something truthy or time is up. */
export async function waitUntil(tester, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await tester();
    if (result) return result;
    if (Date.now() + 1000 > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`expected condition was not reached after ${Math.round(timeoutMs / 1000)} seconds`);
}
