// Messages for whichever process holds a request. We run stateless, so behind a load balancer
// without sticky sessions the POST that answers our question (or cancels a call) can reach
// another process than the one running the tool call. A message is handled here when this
// process holds its target, and published through the store otherwise; every process subscribes
// once and handles what is its own. Publishing costs one store round trip, and only then.
import type { Logger } from '../../observability/logger.ts';
import type { KeyValueStore } from '../../store/index.ts';

export interface ProcessChannel<T> {
  /** subscribes (once; again after a failure); resolves when messages of other processes can arrive */
  listen(): Promise<void>;
  /** handles the message here, or hands it to the process that can */
  send(message: T): Promise<void>;
}

export function createProcessChannel<T>(options: {
  store: KeyValueStore;
  channel: string;
  logger: Logger;
  /** handles the message when this process holds its target; false when it does not */
  handle(message: T): boolean;
}): ProcessChannel<T> {
  const { store, channel, logger } = options;
  let subscribed: Promise<void> | undefined;

  const receive = (raw: string) => {
    try {
      options.handle(JSON.parse(raw) as T);
    } catch (error) {
      logger.warn('could not handle a message from another process', { channel, error });
    }
  };

  return {
    listen() {
      subscribed ??= store.subscribe(channel, receive).then(
        () => undefined,
        (error: Error) => {
          // Local delivery still works; the next listen() tries again.
          subscribed = undefined;
          logger.warn('cannot receive messages from other processes', { channel, error: error.message });
        },
      );
      return subscribed;
    },
    async send(message) {
      if (options.handle(message)) return;
      await store.publish(channel, JSON.stringify(message));
    },
  };
}
