// Fakes at the true edges of the MCP side: our token verifier, the CLI runner, and a config built
// the same way production builds it.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CliFailure, type CliRunner, type CliRunRequest, type CliRunResult } from '../../../src/cli/types.ts';
import { loadConfig, type AppConfig } from '../../../src/config.ts';
import { createLogger, type Logger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { UpstreamSessionEndedError, type AccessTokenVerifier, type VerifiedAccess } from '../../../src/oauth/access.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const PUBLIC_URL = 'http://127.0.0.1:4999';

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ PUBLIC_URL, LOG_LEVEL: 'error', ...env }, repoRoot);
}

export function silentLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return Object.assign(createLogger({ level: 'debug', format: 'json', stream }), { lines });
}

export { createMetrics };

export interface FakeGrant {
  accountId?: string;
  scopes: string[];
  mittwaldToken?: string;
  /** mittwald refused the refresh: mittwaldAccessToken() throws */
  upstreamEnded?: boolean;
}

/** Accepts exactly the tokens it was given. */
export function fakeVerifier(grants: Record<string, FakeGrant>): AccessTokenVerifier & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async verify(token: string): Promise<VerifiedAccess | undefined> {
      calls.push(token);
      const grant = grants[token];
      if (!grant) return undefined;
      return {
        accountId: grant.accountId ?? 'user-1',
        clientId: 'client-1',
        grantId: `grant-${token}`,
        scopes: grant.scopes,
        expiresAt: Math.floor(Date.now() / 1000) + 600,
        mittwaldAccessToken: async () => {
          if (grant.upstreamEnded) throw new UpstreamSessionEndedError('refresh refused');
          return grant.mittwaldToken ?? `mw-token-of-${token}`;
        },
      };
    },
  };
}

export type RunReply = (request: CliRunRequest) => Promise<CliRunResult> | CliRunResult;

/** Records every run; answers with `reply` (default: exit 0, empty output). */
export function recordingRunner(reply: RunReply = () => ok('')): CliRunner & { calls: CliRunRequest[] } {
  const calls: CliRunRequest[] = [];
  return {
    calls,
    async run(request) {
      calls.push(request);
      return reply(request);
    },
    stats: () => ({ inFlight: 0, queued: 0 }),
    endChildrenOf: async () => undefined,
    drain: async () => undefined,
  };
}

export function ok(stdout: string): CliRunResult {
  return { exitCode: 0, stdout, stderr: '', durationMs: 5 };
}

export function failed(stdout: string, stderr = '', exitCode = 1): CliRunResult {
  return { exitCode, stdout, stderr, durationMs: 5 };
}

/** A run that only ends when its signal aborts (then rejects the way the real runner does). */
export function runUntilAborted(onStart?: () => void): RunReply {
  return (request) =>
    new Promise((_resolve, reject) => {
      onStart?.();
      const signal = request.signal;
      if (!signal) return;
      const abort = () => reject(new CliFailure('cancelled', 'aborted'));
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
    });
}
