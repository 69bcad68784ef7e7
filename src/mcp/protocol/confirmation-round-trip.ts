// Confirmations on 2026-07-28 (multi round-trip): the call that needs the user's yes answers
// `input_required` with a form that names the target, and a signed `requestState` that binds the
// question to this tool, these arguments, this principal and a short expiry. The retry, with the
// user's answer and that state, may reach any server process: the signature (keys every process
// shares) and one store write that marks the question answered are all it needs. A replayed,
// altered, expired or foreign answer is refused and nothing runs.
import { createHash, randomBytes } from 'node:crypto';
import { inputRequired, inputResponse } from '@modelcontextprotocol/server';
import type { KeyValueStore } from '../../store/index.ts';
import { createSignedPayloads } from '../http/signed-payload.ts';
import {
  CONFIRMATION_ANSWER_TTL_MS,
  CONFIRMATION_FORM,
  confirmationQuestion,
  confirmedByFlag,
  type Confirmer,
  formAnswer,
  refusalFor,
} from '../tools/confirmation.ts';
import { ToolError } from '../tools/errors.ts';
import { CONFIRM_PROPERTY, type ToolDefinition } from '../tools/types.ts';

/** the key of our one embedded request in `inputRequests` / `inputResponses` */
export const CONFIRMATION_REQUEST_KEY = 'confirm';

/** What a confirmation state vouches for. */
interface StatePayload {
  /** tool name */
  t: string;
  /** hash of the validated arguments (without `confirm`) */
  h: string;
  /** hash of the principal's account id */
  a: string;
  /** expires at, epoch ms */
  x: number;
  /** nonce: the question, answered once */
  n: string;
}

export interface RoundTripCall {
  accountId: string;
  /** the client declared form elicitation in this request's `_meta` */
  elicitation: boolean;
  inputResponses?: Record<string, unknown>;
  /** the raw `requestState` the client echoed, if any */
  requestState?: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/** JSON with object keys sorted, so the same arguments always hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function argumentsHash(input: Record<string, unknown>): string {
  const { [CONFIRM_PROPERTY]: _flag, ...rest } = input;
  return hash(canonicalJson(rest));
}

const invalid = (why: string) => ({ refusal: new ToolError('confirmation_invalid', `${why}; nothing was run. Call the tool again to be asked anew.`) });

export function createRoundTripConfirmations(deps: { secrets: string[]; store: KeyValueStore; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const states = createSignedPayloads(deps.secrets, 'mcp-confirmation-state', 'c1');
  const mint = (payload: StatePayload) => states.seal(payload);
  /** the payload of a state we signed, or undefined for anything else */
  function open(state: string): StatePayload | undefined {
    const payload = states.open(state) as Partial<StatePayload> | undefined;
    return typeof payload?.n === 'string' && typeof payload.x === 'number' ? (payload as StatePayload) : undefined;
  }

  /** The Confirmer for one 2026-07-28 tools/call. */
  return function confirmerFor(call: RoundTripCall): Confirmer {
    return async (tool: ToolDefinition, input: Record<string, unknown>) => {
      if (!call.elicitation) return confirmedByFlag(tool, input);
      const account = hash(call.accountId);
      if (call.requestState === undefined) {
        if (call.inputResponses?.[CONFIRMATION_REQUEST_KEY] !== undefined) return invalid('an answer came without the question it answers');
        const requestState = mint({ t: tool.name, h: argumentsHash(input), a: account, x: now() + CONFIRMATION_ANSWER_TTL_MS, n: randomBytes(16).toString('base64url') });
        return {
          inputRequired: inputRequired({
            inputRequests: {
              [CONFIRMATION_REQUEST_KEY]: inputRequired.elicit({ message: confirmationQuestion(tool, input), requestedSchema: CONFIRMATION_FORM }),
            },
            requestState,
          }),
        };
      }
      const state = open(call.requestState);
      if (!state) return invalid('the confirmation state is not one this server issued');
      if (state.a !== account) return invalid('this confirmation was asked of another user');
      if (state.t !== tool.name || state.h !== argumentsHash(input)) return invalid('this confirmation was given for another call or other arguments');
      if (!(now() < state.x)) return invalid('this confirmation expired');
      const response = inputResponse(call.inputResponses, CONFIRMATION_REQUEST_KEY);
      const answer = response.kind === 'elicit' ? formAnswer(response) : 'cancel';
      if (answer !== 'accept') return refusalFor(answer);
      // One yes, one run: the first process to mark the question answered runs the call.
      const ttlSeconds = Math.max(1, Math.ceil((state.x - now()) / 1000));
      const first = await deps.store.setIfAbsent(`mcp:confirmation-answered:${state.n}`, '1', ttlSeconds);
      if (!first) return invalid('this confirmation was already used');
      return { confirmedBy: 'user' };
    };
  };
}

export type RoundTripConfirmations = ReturnType<typeof createRoundTripConfirmations>;
