// Liveness (/healthz: the process answers) and readiness (/readyz, and /health for clients of the
// earlier mittwald server: the store answers, the CLI starts, the keys are loaded). Failure reasons
// are shown to anyone who asks, so they pass through the redactor and are kept short.
import { Router, type Response } from 'express';
import { redactText } from './redact.ts';

export interface HealthChecks {
  /** resolves when the key-value store answers */
  store: () => Promise<void>;
  /** resolves with the version of the `mw` CLI when it can be started, and its warm children */
  cli: () => Promise<CliReadiness>;
  /** whether signing, cookie and encryption keys are loaded */
  keys: () => boolean;
  /** the layers of the wall between users in force; rejects when no call directory can be created */
  isolation?: () => Promise<IsolationReadiness>;
}

export interface CliReadiness {
  version: string;
  /** the pool of warm children: its bounds and counts now, or off */
  warmChildren?: { min: number; max: number; target: number; ready: number; starting: number } | 'off';
  /** with children of uids of their own: how many uids, in use, quarantined after a failed clean-up */
  childUids?: { size: number; inUse: number; quarantined: number };
}

/** The wall between users as /readyz shows it (issue "a wall between users", layer 6). */
export interface IsolationReadiness {
  inputs: string;
  fs: string;
  uid: string;
  limits: string;
  /** why a layer is off */
  reasons: Record<string, string | undefined>;
}

export interface HealthRouteOptions {
  checks: HealthChecks;
  isShuttingDown: () => boolean;
  /** configuration problems that do not stop the server from serving (shown, never failing readiness) */
  warnings?: string[];
  /** per check; a probe must answer before the orchestrator's own timeout */
  checkTimeoutMs?: number;
}

type CheckOutcome<T> = T | { error: string };

interface Readiness {
  ready: boolean;
  checks: {
    store: CheckOutcome<'ok'>;
    cli: CheckOutcome<CliReadiness>;
    keys: CheckOutcome<'ok'>;
    isolation?: CheckOutcome<IsolationReadiness & { callDirectory: 'ok' }>;
  };
}

const MAX_REASON_LENGTH = 200;

export function createHealthRouter(options: HealthRouteOptions): Router {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const checkReadiness = coalesced(() => readiness(options.checks, timeoutMs));
  const router = Router();

  router.get('/healthz', (_req, res) => {
    if (refuseWhileShuttingDown(res, options.isShuttingDown())) return;
    res.json({ status: 'ok' });
  });

  const ready = async (_req: unknown, res: Response) => {
    if (refuseWhileShuttingDown(res, options.isShuttingDown())) return;
    const result = await checkReadiness();
    const warnings = options.warnings?.length ? { warnings: options.warnings } : {};
    res.status(result.ready ? 200 : 503).json({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks, ...warnings });
  };
  router.get('/readyz', ready);
  router.get('/health', ready);
  return router;
}

function refuseWhileShuttingDown(res: Response, shuttingDown: boolean): boolean {
  res.set('Cache-Control', 'no-store');
  if (shuttingDown) res.status(503).json({ status: 'shutting_down' });
  return shuttingDown;
}

async function readiness(checks: HealthChecks, timeoutMs: number): Promise<Readiness> {
  const isolationCheck = checks.isolation;
  const [store, cli, keys, isolation] = await Promise.all([
    outcome(() => checks.store().then(() => 'ok' as const), timeoutMs),
    outcome(() => checks.cli().then(({ version, warmChildren, childUids }) => ({ version, ...(warmChildren ? { warmChildren } : {}), ...(childUids ? { childUids } : {}) })), timeoutMs),
    outcome(async () => {
      if (!checks.keys()) throw new Error('signing, cookie or encryption keys are not loaded');
      return 'ok' as const;
    }, timeoutMs),
    isolationCheck &&
      outcome(async () => {
        const { inputs, fs, uid, limits, reasons } = await isolationCheck();
        return { inputs, fs, uid, limits, reasons, callDirectory: 'ok' as const };
      }, timeoutMs),
  ]);
  const ready = [store, cli, keys, isolation].every((result) => !(typeof result === 'object' && 'error' in result));
  return { ready, checks: { store, cli, keys, ...(isolation ? { isolation } : {}) } };
}

async function outcome<T>(check: () => Promise<T>, timeoutMs: number): Promise<CheckOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timedOut]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { error: redactText(reason).slice(0, MAX_REASON_LENGTH) };
  } finally {
    clearTimeout(timer);
  }
}

/** Probes that arrive while a check is running share its result instead of starting another `mw`. */
function coalesced<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= run().finally(() => (pending = undefined));
    return pending;
  };
}
