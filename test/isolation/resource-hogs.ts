// The resource-limit attack both isolation suites try (jest only: it asserts; deployment.ts is shared with the bench).
import { expect } from '@jest/globals';
import type { Deployment } from './deployment.ts';

/**
 * At once: alice's /dev/zero as a message file and a 3 GB allocation, and bob's project list. The
 * first two end as resource_limit, bob's completes, and the server grows by less than 64 MB meanwhile.
 */
export async function expectResourceHogsStopped(deployment: Deployment): Promise<void> {
  const before = deployment.server.rssKb();
  const [zero, allocate, bob] = await Promise.all([
    deployment.call(deployment.alice, 'mittwald_conversation_create', { title: 'support', category: 'general', message_from: '/dev/zero' }),
    deployment.call(deployment.alice, 'mittwald_stand_in_allocate', { megabytes: '3000' }),
    deployment.call(deployment.bob, 'mittwald_project_list'),
  ]);
  expect(zero).toMatchObject({ isError: true, code: 'resource_limit' });
  expect(allocate).toMatchObject({ isError: true, code: 'resource_limit' });
  expect(bob.isError).toBe(false);
  expect(deployment.server.rssKb() - before).toBeLessThan(64 * 1024);
}
