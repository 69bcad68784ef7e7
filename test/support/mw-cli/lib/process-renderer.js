import { selectPrompt } from './select-prompt.js';

// mw's process output without a terminal (its SimpleProcessRenderer): "Starting: …", one
// "Step n: … completed" line per step (the "Step n: …" part is written when the step starts, so a
// reader sees what is running), confirmations accepted by themselves. With --quiet nothing at all
// (its SilentProcessRenderer), and the command prints only the new id.
class SimpleProcessRenderer {
  #title;
  #started = false;
  #steps = 0;

  constructor(title) {
    this.#title = title;
  }

  #start() {
    if (this.#started) return;
    this.#started = true;
    process.stdout.write(`Starting: ${this.#title}\n\n`);
  }

  /** returns the step; call complete() or error(err) when it ends */
  addStep(title) {
    this.#start();
    this.#steps += 1;
    process.stdout.write(`Step ${this.#steps}: ${title}... `);
    return {
      complete: () => process.stdout.write('completed\n'),
      error: (error) => process.stdout.write(`FAILED\n  Error: ${error?.message ?? error}\n`),
    };
  }

  async runStep(title, fn) {
    const step = this.addStep(title);
    try {
      const result = await fn();
      step.complete();
      return result;
    } catch (error) {
      step.error(error);
      throw error;
    }
  }

  addInfo(text) {
    this.#start();
    process.stdout.write(`Info: ${text}\n`);
  }

  /** mw without a TTY confirms by itself: that is why the server must gate destructive calls */
  addConfirmation(question) {
    if (process.stdout.isTTY) {
      throw new Error('interactive input required; start this command with --force or --quiet to disable interactive prompts');
    }
    this.#start();
    process.stdout.write(`Confirm: ${question}; automatically confirmed\n`);
    return true;
  }

  /** typed input (e.g. a password) cannot be given without a terminal */
  addInput(question, mask = false) {
    this.#start();
    process.stdout.write(`Input: ${question}${mask ? ' (masked)' : ''}; no input available\n`);
    throw new Error('Interactive input not available in simple process renderer');
  }

  /** a choice among options: mw draws its Ink select, which waits for keys (without a terminal, for ever) */
  addSelect(question, options) {
    this.#start();
    return selectPrompt(question, options);
  }

  /** summary: mw prints a plain-text summary as is, and "[Complex content]" for anything richer */
  complete(summary = '[Complex content]') {
    process.stdout.write(`Completed: Process completed successfully\n\nSummary: ${summary}\n`);
  }
}

class SilentProcessRenderer {
  addStep() {
    return { complete() {}, error() {} };
  }

  async runStep(_title, fn) {
    return fn();
  }

  addInfo() {}

  addConfirmation() {
    return true;
  }

  addInput(question) {
    throw new Error(`no interactive input available in quiet mode (needed: ${question})`);
  }

  addSelect(question) {
    throw new Error(`no interactive input available in quiet mode (needed: ${question})`);
  }

  complete() {}
}

export function makeProcessRenderer(flags, title) {
  return flags.quiet ? new SilentProcessRenderer() : new SimpleProcessRenderer(title);
}
