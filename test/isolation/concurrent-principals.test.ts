// Many users at once must never see each other's data: 32 principals (direct API tokens, each a user
// of its own with its own organisation and project in the API simulator) call tools concurrently for
// 30 s against a server process, and every answer must be its own user's. The load stays sensible
// for a 2-core machine: each principal has one call in flight, the CLI runs a few at a time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { newProject, seedUuid } from '../support/mittwald-api/fixtures.ts';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { postMcp, toolCall } from '../reliability/helpers.ts';

const PRINCIPALS = 32;
const DURATION_MS = 30_000;
// unused resource kinds of the simulator's seed ids, so no principal collides with seeded data
const KIND = { user: 91, customer: 92, server: 93, project: 94 };

interface Principal {
  token: string;
  userId: string;
  email: string;
  projectDescription: string;
}

let stack: Stack;
let server: ServerProcess;
const principals: Principal[] = [];

/** a user of its own in the simulator: its organisation, server and one project */
function addPrincipal(n: number): Principal {
  const { state } = stack.api;
  const seed = stack.api.users[0];
  const principal = {
    token: `principal-${n}-${randomBytes(12).toString('hex')}`,
    userId: seedUuid(KIND.user, n),
    email: `principal-${n}@example.test`,
    projectDescription: `Project of principal ${n}`,
  };
  const customerId = seedUuid(KIND.customer, n);
  state.users.set(principal.userId, { ...structuredClone(state.users.get(seed.userId)!), userId: principal.userId, email: principal.email });
  state.customers.set(customerId, { ...structuredClone(state.customers.get(seed.customerId)!), customerId, name: `Organisation ${n}` });
  state.customerMembers.set(customerId, [principal.userId]);
  const serverOfPrincipal = { ...structuredClone(state.servers.get(seed.serverId)!), id: seedUuid(KIND.server, n), customerId };
  state.servers.set(serverOfPrincipal.id, serverOfPrincipal);
  const projectId = seedUuid(KIND.project, n);
  const shortId = `p-${n.toString(16).padStart(6, '0')}`;
  state.projects.set(projectId, newProject({ id: projectId, shortId, description: principal.projectDescription, customerId, server: serverOfPrincipal }));
  stack.api.grantToken(principal.token, principal.userId);
  return principal;
}

beforeAll(async () => {
  stack = await startStack();
  for (let n = 1; n <= PRINCIPALS; n++) principals.push(addPrincipal(n));
  server = await startServerProcess({
    ...stack.env,
    PORT: String(await freePort()),
    DIRECT_API_TOKENS: 'true',
    // 32 new tokens from one address within the first seconds
    DIRECT_API_TOKEN_CHECKS_PER_MINUTE: '200',
    DIRECT_API_TOKEN_CHECKS_PER_ADDRESS: '200',
    CLI_MAX_CONCURRENT: '4',
    CLI_MAX_PER_USER: '1',
    CLI_MAX_QUEUE: String(PRINCIPALS * 2),
    CLI_TIMEOUT_MS: '60000',
    CLI_CHILD_UIDS: 'off',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stack?.close();
});

/** whose data an answer carries: the user id and e-mail of `user get`, the project descriptions of `project list` */
function ownerOf(tool: string, structured: Record<string, unknown>): string {
  if (tool === 'mittwald_user_get') return `${String(structured.userId)} ${String(structured.email)}`;
  return (structured.items as Array<{ description: string }>).map((project) => project.description).join(', ');
}

const expectedOwner = (tool: string, principal: Principal) =>
  tool === 'mittwald_user_get' ? `${principal.userId} ${principal.email}` : principal.projectDescription;

describe(`${PRINCIPALS} principals calling at once for ${DURATION_MS / 1000} s`, () => {
  it("every answer carries its own user's data, never another's", async () => {
    const deadline = Date.now() + DURATION_MS;
    const answers: Array<{ principal: number; tool: string; owner: string; expected: string }> = [];
    const failures: string[] = [];
    await Promise.all(
      principals.map(async (principal, index) => {
        for (let call = 0; Date.now() < deadline; call++) {
          const tool = (index + call) % 2 === 0 ? 'mittwald_user_get' : 'mittwald_project_list';
          const answer = await postMcp(server.url + '/mcp', principal.token, toolCall(tool), { signal: AbortSignal.timeout(120_000) });
          const result = answer.message?.result as { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown } | undefined;
          if (answer.status !== 200 || !result || result.isError || !result.structuredContent) {
            failures.push(`principal ${index + 1} ${tool}: ${answer.status} ${JSON.stringify(result?.content ?? answer.text).slice(0, 300)}`);
            continue;
          }
          answers.push({ principal: index + 1, tool, owner: ownerOf(tool, result.structuredContent), expected: expectedOwner(tool, principal) });
        }
      }),
    );

    expect(failures).toEqual([]);
    expect(answers.filter((answer) => answer.owner !== answer.expected)).toEqual([]);
    // every principal was answered, with both tools over the run as a whole
    expect(new Set(answers.map((answer) => answer.principal)).size).toBe(PRINCIPALS);
    expect(new Set(answers.map((answer) => answer.tool))).toEqual(new Set(['mittwald_user_get', 'mittwald_project_list']));
    console.log(`${answers.length} answers to ${PRINCIPALS} principals in ${DURATION_MS / 1000} s (and the calls in flight at the end)`);
  }, 300_000);
});
