// Before the first call: one child through the whole start path (`mw --version`, no token) shows
// whether the layers asked for let the CLI start on this machine. If not, the layer that stops it
// is found by leaving out one at a time, and the children go without it, with the reason in the
// report (production then refuses to start unless the operator allows it). A CLI that does not
// start at all keeps every layer: its calls fail and say why.
import type { Logger } from '../../observability/logger.ts';
import { superviseChild } from '../run-child-process.ts';
import { CliFailure } from '../types.ts';
import { sandboxFailure } from './child-outcome.ts';
import type { PermissionDenial } from './control-channel.ts';
import { sendOnlyRequest, type ChildSpawner, type IsolationLayer } from './spawner.ts';

const CHECK_TIMEOUT_MS = 60_000;

/** `build` makes a spawner without the given layers (fs and limits: the uid layer is the launcher's to check). */
export async function startCheckedSpawner(
  build: (without: IsolationLayer[]) => Promise<ChildSpawner>,
  logger: Logger,
): Promise<ChildSpawner> {
  const full = await build([]);
  const problem = await startProblem(full);
  if (!problem) return full;
  const present: IsolationLayer[] = [];
  if (full.isolation.fs === 'permission-model') present.push('fs');
  if (full.isolation.limits === 'on') present.push('limits');
  for (const layer of present) {
    const without = await build([layer]);
    if (await startProblem(without)) continue;
    const reason = `the CLI does not start with it: ${problem}`;
    logger.warn(`mw children run without the ${layer} layer: ${reason}`);
    return { ...without, isolation: { ...without.isolation, reasons: { ...without.isolation.reasons, [layer]: reason } } };
  }
  logger.error(`the mw CLI does not start: ${problem}`);
  return full;
}

/** undefined when `mw --version` ran cleanly; else what went wrong, naming refused paths. */
export async function startProblem(spawner: ChildSpawner): Promise<string | undefined> {
  const denials: PermissionDenial[] = [];
  try {
    const child = await spawner.start();
    child.on('control', (message) => {
      if (message.type === 'denied') denials.push(message);
    });
    sendOnlyRequest(child, { argv: ['--version'], env: {} });
    const outcome = await superviseChild(child, { timeoutMs: CHECK_TIMEOUT_MS, maxOutputBytes: 64 * 1024, killGraceMs: 1000, what: 'the mw CLI' });
    await child.cleanedUp;
    const failure = sandboxFailure(outcome, denials);
    if (failure) return `${failure.message}${denials.length > 1 ? ` (refused: ${denials.map((d) => d.resource).join(', ')})` : ''}`;
    if (outcome.exitCode !== 0) return `mw --version exited with ${outcome.exitCode}: ${(outcome.stderr || outcome.stdout).trim().slice(-300)}`;
    return undefined;
  } catch (error) {
    return error instanceof CliFailure ? error.message : String(error);
  }
}
