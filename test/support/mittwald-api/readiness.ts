// On the real platform a new project or backup is not ready at once; `mw … --wait` polls until it
// is. The simulator makes what it creates ready after a delay the test chooses (0, the default:
// at once, so tests that do not wait see no difference).
export interface Readiness {
  /** how long a new project or backup stays not ready */
  delayMs: number;
  /** runs makeReady once the delay has passed (right away for 0) */
  schedule(makeReady: () => void): void;
  /** drops what is still pending (the simulator is closing) */
  close(): void;
}

export function createReadiness(delayMs = 0): Readiness {
  const pending = new Set<NodeJS.Timeout>();
  return {
    delayMs,
    schedule(makeReady) {
      if (this.delayMs <= 0) return makeReady();
      const timer = setTimeout(() => {
        pending.delete(timer);
        makeReady();
      }, this.delayMs);
      timer.unref();
      pending.add(timer);
    },
    close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
