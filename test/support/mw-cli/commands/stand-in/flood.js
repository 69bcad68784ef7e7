import { once } from 'node:events';
import { Command, Flags } from '@oclif/core';

// Prints far more than any sane tool result, to test the runner's output cap.
export default class StandInFlood extends Command {
  static summary = 'Stand-in only: print the given number of megabytes to stdout.';
  static flags = { megabytes: Flags.integer({ description: 'how much to print', default: 10, min: 0 }) };

  async run() {
    const { flags } = await this.parse(StandInFlood);
    const line = `${'x'.repeat(1023)}\n`;
    const chunk = line.repeat(64);
    for (let written = 0; written < flags.megabytes * 16; written += 1) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
  }
}
