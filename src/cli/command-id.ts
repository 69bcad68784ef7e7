// Maps an argv back to the oclif command it runs, for metric labels and logs: the longest run of
// leading words that names a known command. Argument values never become part of the id.
import type { CliCommandSet } from './types.ts';

export const UNKNOWN_COMMAND = 'unknown';

export function commandIdResolver(commandSet: CliCommandSet): (argv: string[]) => string {
  const known = new Set(commandSet.commands.flatMap((command) => [command.id, ...command.aliases]));
  return (argv) => {
    let match = UNKNOWN_COMMAND;
    for (let words = 1; words <= argv.length; words += 1) {
      const candidate = argv.slice(0, words).join(':');
      if (known.has(candidate)) match = candidate;
    }
    return match;
  };
}
