// MCP progress for a running tool call (notifications/progress, only when the client sent a
// progressToken): a heartbeat with the elapsed time, so the client, and every proxy between, sees
// the call is alive, and the CLI's own progress lines as they come, at most a few a second.
// `progress` is the elapsed time in seconds: it grows with every notification, as the spec asks.

export interface ProgressNotification {
  progress: number;
  message: string;
}

export interface ProgressOptions {
  /** a heartbeat this often */
  intervalMs: number;
  /** output lines closer together than this are coalesced (the latest one is sent) */
  minGapMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  /** a line the CLI printed */
  line(text: string): void;
  stop(): void;
}

const DEFAULT_MIN_GAP_MS = 250;

export function startProgress(send: (notification: ProgressNotification) => void, options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const minGapMs = options.minGapMs ?? DEFAULT_MIN_GAP_MS;
  const startedAt = now();
  let lastProgress = 0;
  let lastSentAt = -Infinity;
  let pendingLine: string | undefined;
  let pendingTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const notify = (message: (seconds: number) => string) => {
    if (stopped) return;
    const elapsed = Math.round((now() - startedAt) / 100) / 10;
    lastProgress = Math.max(elapsed, Math.round((lastProgress + 0.1) * 10) / 10);
    lastSentAt = now();
    send({ progress: lastProgress, message: message(lastProgress) });
  };

  const flushLine = () => {
    pendingTimer = undefined;
    if (pendingLine === undefined) return;
    const text = pendingLine;
    pendingLine = undefined;
    notify(() => text);
  };

  const heartbeat = setInterval(() => notify((seconds) => `still running (${Math.round(seconds)} s)`), options.intervalMs);
  heartbeat.unref();

  return {
    line(text) {
      if (stopped) return;
      pendingLine = text;
      if (pendingTimer) return;
      const wait = lastSentAt + minGapMs - now();
      if (wait <= 0) flushLine();
      else pendingTimer = setTimeout(flushLine, wait).unref();
    },
    stop() {
      stopped = true;
      clearInterval(heartbeat);
      clearTimeout(pendingTimer);
    },
  };
}
