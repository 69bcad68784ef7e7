// 2025 era only (2026-07-28 asks by multi round-trip: confirmation-round-trip.ts).
// Server → client requests (elicitation) in stateless mode. The request goes out on the SSE
// stream of the tools/call POST; the client answers in a *new* POST that a fresh transport would
// not recognise. So outgoing request ids are replaced by unique relay ids, remembered here with the
// user they belong to, and the answer is handed back to the transport that asked. The answering
// POST may reach another process (no sticky sessions): then the answer travels through the store
// to the process that asked, and is still only taken for the same user.
import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { JSONRPCMessage, TransportSendOptions } from '@modelcontextprotocol/server';
import type { Logger } from '../../observability/logger.ts';
import type { KeyValueStore } from '../../store/index.ts';
import { createProcessChannel } from './process-channel.ts';

interface PendingQuestion {
  accountId: string;
  originalId: string | number;
  transport: RelayingTransport;
}

interface RoutedAnswer {
  /** who answered: only the user who was asked can answer */
  accountId: string;
  answer: JSONRPCMessage;
}

export function createElicitationRelay(deps: { store: KeyValueStore; logger: Logger }) {
  const pending = new Map<string, PendingQuestion>();

  /** hands an answer to the transport that asked, when it is here; false for unknown ids or another user's */
  function deliverHere({ accountId, answer }: RoutedAnswer): boolean {
    if (!answer || !('id' in answer) || typeof answer.id !== 'string') return false;
    const question = pending.get(answer.id);
    if (!question || question.accountId !== accountId) return false;
    pending.delete(answer.id);
    question.transport.onmessage?.({ ...answer, id: question.originalId } as JSONRPCMessage);
    return true;
  }

  const channel = createProcessChannel<RoutedAnswer>({
    store: deps.store,
    channel: 'mcp:elicitation-answers',
    logger: deps.logger,
    handle: deliverHere,
  });
  void channel.listen();

  return {
    register(relayId: string, question: PendingQuestion): void {
      pending.set(relayId, question);
    },
    forget(relayId: string): void {
      pending.delete(relayId);
    },
    /** resolves once answers arriving at other processes can reach this one */
    ready: () => channel.listen(),
    /** routes a client's answer to the process and transport that asked (here or elsewhere) */
    deliver: (accountId: string, answer: JSONRPCMessage): Promise<void> => channel.send({ accountId, answer }),
    size: () => pending.size,
  };
}

export type ElicitationRelay = ReturnType<typeof createElicitationRelay>;

/** A stateless 2025-era transport whose outgoing requests get relay ids the relay can route answers to. */
export class RelayingTransport extends NodeStreamableHTTPServerTransport {
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
      // Not asked before the answer could come back through any process.
      await this.#relay.ready();
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
