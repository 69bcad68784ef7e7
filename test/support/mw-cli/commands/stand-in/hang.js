import { spawn } from 'node:child_process';
import { Command } from '@oclif/core';

// Never finishes, and leaves a sleeping grandchild behind: the runner's timeout must kill the whole tree.
export default class StandInHang extends Command {
  static summary = 'Stand-in only: start a sleeping child process, print its pid, then never finish.';

  async run() {
    await this.parse(StandInHang);
    const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
    process.stdout.write(`hanging; grandchild pid ${grandchild.pid}\n`);
    await new Promise(() => setInterval(() => {}, 60_000));
  }
}
