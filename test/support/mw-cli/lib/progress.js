// What mw's process renderers do without a terminal: step lines on stdout, confirmations auto-accepted
// (SimpleProcessRenderer), or nothing at all with --quiet (SilentProcessRenderer).
export class Progress {
  constructor(quiet) {
    this.quiet = quiet;
  }

  step(text) {
    if (!this.quiet) process.stdout.write(`${text}... done\n`);
  }

  /** mw without a TTY confirms by itself; that is why the server must gate destructive calls. */
  confirm(question) {
    if (this.quiet) return;
    if (process.stdout.isTTY) {
      throw new Error('interactive input required; start this command with --force or --quiet to disable interactive prompts');
    }
    process.stdout.write(`Confirm: ${question}; automatically confirmed\n`);
  }

  /** typed input (e.g. a password) cannot be given without a terminal */
  requireInput(what) {
    throw new Error(
      this.quiet
        ? `no interactive input available in quiet mode (needed: ${what})`
        : `Interactive input not available in simple process renderer (needed: ${what})`,
    );
  }
}
