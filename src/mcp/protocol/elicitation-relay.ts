// Server → client requests (elicitation) in stateless mode. The request goes out on the SSE
// stream of the tools/call POST; the client answers in a *new* POST that a fresh transport would
// not recognise. So outgoing request ids are replaced by unique relay ids, remembered here with the
// user they belong to, and the answer is handed back to the transport that asked.
// In-process only: with several processes the answer must reach the same one (sticky routing);
// otherwise the question times out and the tool asks for `confirm: true` instead.
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface PendingQuestion {
  accountId: string;
  originalId: string | number;
  transport: RelayingTransport;
}

export function createElicitationRelay() {
  const pending = new Map<string, PendingQuestion>();
  return {
    register(relayId: string, question: PendingQuestion): void {
      pending.set(relayId, question);
    },
    forget(relayId: string): void {
      pending.delete(relayId);
    },
    /** hands a client's answer to the transport that asked; false for unknown ids or another user's */
    deliver(accountId: string, answer: JSONRPCMessage): boolean {
      if (!('id' in answer) || typeof answer.id !== 'string') return false;
      const question = pending.get(answer.id);
      if (!question || question.accountId !== accountId) return false;
      pending.delete(answer.id);
      question.transport.onmessage?.({ ...answer, id: question.originalId } as JSONRPCMessage);
      return true;
    },
    size: () => pending.size,
  };
}

export type ElicitationRelay = ReturnType<typeof createElicitationRelay>;

/** A stateless transport whose outgoing requests get relay ids the relay can route answers to. */
export class RelayingTransport extends StreamableHTTPServerTransport {
  readonly #relay: ElicitationRelay;
  readonly #accountId: string;
  readonly #relayIds = new Set<string>();

  constructor(relay: ElicitationRelay, accountId: string) {
    super({ sessionIdGenerator: undefined, enableJsonResponse: false });
    this.#relay = relay;
    this.#accountId = accountId;
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && 'id' in message) {
      const relayId = `relay-${randomUUID()}`;
      this.#relayIds.add(relayId);
      this.#relay.register(relayId, { accountId: this.#accountId, originalId: message.id, transport: this });
      return super.send({ ...message, id: relayId }, options);
    }
    return super.send(message, options);
  }

  override async close(): Promise<void> {
    for (const id of this.#relayIds) this.#relay.forget(id);
    this.#relayIds.clear();
    return super.close();
  }
}
