import { Command, Flags } from '@oclif/core';

// Dies the ways a real child can: killed by a signal, or an uncaught error outside oclif's handling.
export default class StandInCrash extends Command {
  static summary = 'Stand-in only: terminate abnormally.';
  static flags = {
    how: Flags.string({ description: 'signal: die from SIGKILL; error: throw an uncaught error', options: ['signal', 'error'], default: 'signal' }),
  };

  async run() {
    const { flags } = await this.parse(StandInCrash);
    process.stderr.write(`crashing (${flags.how})\n`);
    if (flags.how === 'signal') process.kill(process.pid, 'SIGKILL');
    setImmediate(() => {
      throw new Error('stand-in crash: uncaught error');
    });
    await new Promise(() => setInterval(() => {}, 60_000));
  }
}
