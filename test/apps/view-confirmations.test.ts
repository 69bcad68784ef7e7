// The view's confirmation is the 2026-07-28 one: issued with the question, good once, for its
// principal and arguments, and only until it expires. Here the clock moves; the server processes'
// tests (confirmation-view.test.ts) cover the rest.
import { describe, expect, it } from '@jest/globals';
import { CONFIRMATION_META_KEY, createViewConfirmations } from '../../src/mcp/apps/view-confirmations.ts';
import { createRoundTripConfirmations } from '../../src/mcp/protocol/confirmation-round-trip.ts';
import { CONFIRMATION_ANSWER_TTL_MS } from '../../src/mcp/tools/confirmation.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { testConfig } from '../mcp/support/fakes.ts';
import { syntheticCatalogue } from '../mcp/support/mcp-app.ts';

const config = testConfig();
const tool = syntheticCatalogue(config).get('mittwald_project_delete')!;
const input = { project_id: 'p-1' };

function views() {
  let now = 1_000_000;
  const confirmations = createViewConfirmations(createRoundTripConfirmations({ secrets: config.keys.cookieKeys, store: new MemoryStore(), now: () => now }));
  const ask = async () => {
    const outcome = await confirmations.asking('alice')(tool, input);
    if (!('view' in outcome)) throw new Error('expected a view');
    return outcome.view;
  };
  return { confirmations, ask, advance: (ms: number) => (now += ms) };
}

const refusalText = (outcome: object) => ('refusal' in outcome ? (outcome.refusal as Error).message : 'not refused');

describe('confirmations in a view', () => {
  it('answers with the question for the view and the confirmation in _meta, nothing confirmed yet', async () => {
    const { ask } = views();
    const view = await ask();
    expect(view.isError).toBeFalsy();
    expect((view.structuredContent as { confirmation: { lines: string[] } }).confirmation.lines[0]).toBe('Allow "mw project delete" on project_id "p-1"?');
    expect(typeof view._meta?.[CONFIRMATION_META_KEY]).toBe('string');
  });

  it('runs once within its time, and not after it', async () => {
    const { confirmations, ask, advance } = views();
    const fresh = (await ask())._meta![CONFIRMATION_META_KEY] as string;
    expect(await confirmations.answered('alice', fresh)(tool, input)).toEqual({ confirmedBy: 'user' });
    expect(refusalText(await confirmations.answered('alice', fresh)(tool, input))).toMatch(/already used/);

    const stale = (await ask())._meta![CONFIRMATION_META_KEY] as string;
    advance(CONFIRMATION_ANSWER_TTL_MS);
    expect(refusalText(await confirmations.answered('alice', stale)(tool, input))).toMatch(/expired/);
  });
});
