// Prometheus metrics. Names follow the existing mittwald MCP server so its dashboards keep working.
// Labels stay bounded: tool names, command ids, grant types and fixed status words only.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    toolCalls: new Counter({
      name: 'mcp_tool_calls_total',
      help: 'MCP tool calls by tool and outcome',
      labelNames: ['tool_name', 'status'] as const,
      registers,
    }),
    toolDuration: new Histogram({
      name: 'mcp_tool_duration_seconds',
      help: 'MCP tool call duration',
      labelNames: ['tool_name'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    activeConnections: new Gauge({
      name: 'mcp_active_connections',
      help: 'MCP HTTP requests being served right now',
      registers,
    }),
    cliCalls: new Counter({
      name: 'mittwald_cli_calls_total',
      help: 'mw CLI invocations by command and outcome',
      labelNames: ['command', 'status'] as const,
      registers,
    }),
    cliInFlight: new Gauge({ name: 'mittwald_cli_in_flight', help: 'mw processes running', registers }),
    cliQueued: new Gauge({ name: 'mittwald_cli_queued', help: 'mw calls waiting for a slot', registers }),
    cliStarts: new Counter({
      name: 'mittwald_cli_starts_total',
      help: 'mw calls by the child they ran in: reused (the principal\'s own idle child: a reuse hit), warm (from the pool) or cold (started for the call)',
      labelNames: ['start'] as const,
      registers,
    }),
    cliChildren: new Gauge({
      name: 'mittwald_cli_children',
      help: 'mw children bound to a principal: serving a call, or idle (waiting for the same principal\'s next one)',
      labelNames: ['state'] as const,
      registers,
    }),
    cliChildEnds: new Counter({
      name: 'mittwald_cli_child_ends_total',
      help: 'mw children bound to a principal that ended, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    cliPoolChildren: new Gauge({
      name: 'mittwald_cli_pool_children',
      help: 'warm mw children: ready (waiting for a call) or starting',
      labelNames: ['state'] as const,
      registers,
    }),
    cliChildUids: new Gauge({
      name: 'mittwald_cli_child_uids',
      help: 'uids of CLI_CHILD_UIDS (children of their own uids): in use here, quarantined after a failed clean-up, or free (another launcher on the host may hold some)',
      labelNames: ['state'] as const,
      registers,
    }),
    cliPoolTarget: new Gauge({ name: 'mittwald_cli_pool_target', help: 'warm mw children the pool keeps ready now', registers }),
    cliPoolDiscarded: new Counter({
      name: 'mittwald_cli_pool_discarded_total',
      help: 'warm mw children ended without a call, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    authorizationRequests: new Counter({
      name: 'oauth_authorization_requests_total',
      help: 'Authorization flows by outcome',
      labelNames: ['status'] as const,
      registers,
    }),
    tokenRequests: new Counter({
      name: 'oauth_token_requests_total',
      help: 'Token endpoint requests by grant type and outcome',
      labelNames: ['grant_type', 'status'] as const,
      registers,
    }),
    registrations: new Counter({
      name: 'oauth_dcr_registrations_total',
      help: 'Dynamic client registrations by outcome',
      labelNames: ['status'] as const,
      registers,
    }),
    upstreamRefreshes: new Counter({
      name: 'mittwald_token_refreshes_total',
      help: 'Refreshes of stored mittwald tokens by outcome',
      labelNames: ['status'] as const,
      registers,
    }),
    upstreamRefreshDuration: new Histogram({
      name: 'mittwald_token_refresh_duration_seconds',
      help: 'Duration of mittwald token refreshes',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

/**
 * A gauge whose value is computed by `read` at scrape time, at most once per `maxAgeMs`,
 * so a scrape never scans the store (counts can be expensive on Redis).
 */
export function cachedGauge(
  metrics: Metrics,
  options: { name: string; help: string; read: () => Promise<number>; maxAgeMs?: number },
): void {
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  let value = 0;
  let readAt = 0;
  let pending: Promise<void> | undefined;
  new Gauge({
    name: options.name,
    help: options.help,
    registers: [metrics.registry],
    async collect() {
      if (Date.now() - readAt > maxAgeMs && !pending) {
        pending = options
          .read()
          .then((v) => {
            value = v;
            readAt = Date.now();
          })
          .catch(() => undefined)
          .finally(() => (pending = undefined));
        await pending;
      }
      this.set(value);
    },
  });
}
