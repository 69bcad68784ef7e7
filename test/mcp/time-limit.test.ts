// A call's time limit: the default, or what its wait needs, within the server's maximum.
import { describe, expect, it } from '@jest/globals';
import { callTimeLimit, WAIT_MARGIN_MS } from '../../src/mcp/tools/time-limit.ts';
import { declareTool } from './support/mcp-app.ts';
import { surfaceCatalogue } from './support/surface.ts';

const catalogue = surfaceCatalogue();
const backupCreate = declareTool(catalogue, 'mittwald_backup_create', {
  wait: { property: 'wait', timeoutProperty: 'wait_timeout', defaultTimeoutSeconds: 600 },
});
const limits = { defaultMs: 60_000, maxMs: 900_000 };

describe('a call\'s time limit', () => {
  const limitOf = (input: Record<string, unknown>, own = limits) => callTimeLimit(backupCreate, { project_id: 'p', expires: '7d', ...input }, own);

  it('is the default unless the call waits', () => {
    expect(limitOf({})).toEqual({ waits: false });
    expect(limitOf({ wait: false, wait_timeout: '1h' })).toEqual({ waits: false });
  });

  it('is the CLI\'s wait plus a margin when it waits, never less than the default, never more than the maximum', () => {
    expect(limitOf({ wait: true })).toEqual({ waits: true, timeoutMs: 600_000 + WAIT_MARGIN_MS });
    expect(limitOf({ wait: true, wait_timeout: '5m' })).toEqual({ waits: true, timeoutMs: 300_000 + WAIT_MARGIN_MS });
    expect(limitOf({ wait: true, wait_timeout: '5s' })).toEqual({ waits: true, timeoutMs: 60_000 });
    expect(limitOf({ wait: true, wait_timeout: '2h' })).toEqual({ waits: true, timeoutMs: 900_000 });
  });

  it('allows the maximum for a wait time it cannot read (the CLI judges it)', () => {
    expect(limitOf({ wait: true, wait_timeout: 'soon' })).toEqual({ waits: true, timeoutMs: 900_000 });
  });

  it('ignores wait on a tool that cannot wait', () => {
    const list = catalogue.get('mittwald_project_list')!;
    expect(callTimeLimit(list, { wait: true }, limits)).toEqual({ waits: false });
  });
});
