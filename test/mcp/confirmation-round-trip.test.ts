// A 2026-07-28 confirmation is good for one call, one principal, these arguments, a short while,
// and once. The processes' tests (e2e/modern-era.test.ts) cover the rest; here the clock moves.
import { describe, expect, it } from '@jest/globals';
import { createRoundTripConfirmations } from '../../src/mcp/protocol/confirmation-round-trip.ts';
import { CONFIRMATION_ANSWER_TTL_MS } from '../../src/mcp/tools/confirmation.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { testConfig } from './support/fakes.ts';
import { syntheticCatalogue } from './support/mcp-app.ts';

const config = testConfig();
const tool = syntheticCatalogue(config).get('mittwald_project_delete')!;
const input = { project_id: 'p-1' };
const yes = { confirm: { action: 'accept', content: { confirm: true } } };

function confirmations() {
  let now = 1_000_000;
  const roundTrips = createRoundTripConfirmations({ secrets: config.keys.cookieKeys, store: new MemoryStore(), now: () => now });
  const ask = async (accountId = 'alice') => {
    const outcome = await roundTrips({ accountId, elicitation: true })(tool, input);
    if (!('inputRequired' in outcome)) throw new Error('expected a question');
    return (outcome.inputRequired as { requestState: string }).requestState;
  };
  const answer = (requestState: string, accountId = 'alice', args: Record<string, unknown> = input) =>
    roundTrips({ accountId, elicitation: true, requestState, inputResponses: yes })(tool, args);
  return { ask, answer, advance: (ms: number) => (now += ms), roundTrips };
}

const refusalText = (outcome: object) => ('refusal' in outcome ? (outcome.refusal as Error).message : 'not refused');

describe('multi round-trip confirmations', () => {
  it('asks with a form that names the command and its target', async () => {
    const { roundTrips } = confirmations();
    const outcome = await roundTrips({ accountId: 'alice', elicitation: true })(tool, input);
    const asked = (outcome as { inputRequired: { inputRequests: Record<string, { params: { message: string } }> } }).inputRequired;
    expect(asked.inputRequests.confirm.params.message).toMatch(/"mw project delete" on project_id "p-1"/);
  });

  it('accepts a yes within the time allowed, once', async () => {
    const { ask, answer, advance } = confirmations();
    const state = await ask();
    advance(CONFIRMATION_ANSWER_TTL_MS - 1000);
    expect(await answer(state)).toEqual({ confirmedBy: 'user' });
    expect(refusalText(await answer(state))).toMatch(/already used/);
  });

  it('refuses a yes that comes too late', async () => {
    const { ask, answer, advance } = confirmations();
    const state = await ask();
    advance(CONFIRMATION_ANSWER_TTL_MS);
    expect(refusalText(await answer(state))).toMatch(/expired/);
  });

  it('refuses a yes from another principal, or for other arguments', async () => {
    const { ask, answer } = confirmations();
    const state = await ask();
    expect(refusalText(await answer(state, 'mallory'))).toMatch(/another user/);
    expect(refusalText(await answer(state, 'alice', { project_id: 'p-2' }))).toMatch(/other arguments/);
    expect(await answer(state)).toEqual({ confirmedBy: 'user' });
  });

  it('without elicitation, relies on the confirm flag as the 2025 era does', async () => {
    const { roundTrips } = confirmations();
    expect(await roundTrips({ accountId: 'alice', elicitation: false })(tool, { ...input, confirm: true })).toEqual({ confirmedBy: 'confirm-flag' });
    expect(refusalText(await roundTrips({ accountId: 'alice', elicitation: false })(tool, input))).toMatch(/Ask the user/);
  });
});
