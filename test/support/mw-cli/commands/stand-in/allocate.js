import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Flags } from '@oclif/core';

// Grows the process the way reading /dev/zero into memory does: touched memory, a megabyte at a
// time, so resource limits and the server's reaction to a greedy child can be tested.
export default class StandInAllocate extends Command {
  static summary = 'Stand-in only: allocate and touch the given number of megabytes, then exit.';
  static flags = {
    megabytes: Flags.integer({ description: 'how much memory to take', default: 1024, min: 0 }),
    'hold-seconds': Flags.integer({ description: 'how long to keep the memory before exiting', default: 0, min: 0 }),
  };

  async run() {
    const { flags } = await this.parse(StandInAllocate);
    const held = [];
    for (let i = 0; i < flags.megabytes; i += 1) {
      held.push(Buffer.allocUnsafe(1024 * 1024).fill(i % 251));
      // let a watchdog (or a signal) act while the process grows
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    }
    process.stdout.write(`allocated ${held.length} MB, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB\n`);
    if (flags['hold-seconds'] > 0) {
      // tells a test which of the running children this is: the one whose HOME holds the mark
      writeFileSync(join(homedir(), 'holding'), String(process.pid));
      await new Promise((resolve) => setTimeout(resolve, flags['hold-seconds'] * 1000));
    }
  }
}
