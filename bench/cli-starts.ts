// How many calls ran in a warm child and how many in a cold one: the server's own counter (/metrics).
import type { Deployment } from './deployment.ts';
import { keepAliveAgent, send } from './http-client.ts';

export interface Starts {
  warm: number;
  cold: number;
}

async function starts(deployment: Deployment): Promise<Starts> {
  const agent = keepAliveAgent(1);
  try {
    const { body } = await send(agent, `${deployment.publicUrl}/metrics`);
    const count = (start: string) => Number(new RegExp(`^mittwald_cli_starts_total\\{start="${start}"\\} (\\S+)$`, 'm').exec(body)?.[1] ?? 0);
    return { warm: count('warm'), cold: count('cold') };
  } finally {
    agent.destroy();
  }
}

/** `work`'s result and the warm and cold starts while it ran */
export async function startsDuring<T>(deployment: Deployment, work: () => Promise<T>): Promise<Starts & { result: T }> {
  const before = await starts(deployment);
  const result = await work();
  const after = await starts(deployment);
  return { result, warm: after.warm - before.warm, cold: after.cold - before.cold };
}

export const startsText = ({ warm, cold }: Starts): string => `${warm} warm, ${cold} cold`;
