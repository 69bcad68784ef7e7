// The API simulator on its own: auth, per-user data, error statuses, outage switch.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';

let api: MittwaldApiSimulator;
const ALICE = 'alice-token';

async function call(path: string, init: { method?: string; token?: string; bearer?: string; body?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers['x-access-token'] = init.token;
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const response = await fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  api = await startMittwaldApiSimulator();
  api.grantToken(ALICE, api.users[0].userId);
});

afterAll(async () => {
  await api.close();
});

describe('mittwald API simulator', () => {
  it('binds to 127.0.0.1', () => {
    expect(new URL(api.url).hostname).toBe('127.0.0.1');
  });

  it('rejects a missing or unknown token with a mittwald-like 401 body', async () => {
    for (const result of [await call('/v2/projects'), await call('/v2/projects', { token: 'nope' })]) {
      expect(result.status).toBe(401);
      expect(result.body).toEqual({ type: expect.any(String), message: expect.any(String) });
    }
  });

  it('accepts x-access-token and Authorization: Bearer alike, and records which token it saw', async () => {
    api.clearRequests();
    const viaHeader = await call('/v2/users/self', { token: ALICE });
    const viaBearer = await call('/v2/users/self', { bearer: ALICE });

    expect(viaHeader).toEqual(viaBearer);
    expect(viaHeader.body.userId).toBe(api.users[0].userId);
    expect(api.requests).toEqual([
      { method: 'GET', path: '/v2/users/self', token: ALICE, userId: api.users[0].userId, status: 200 },
      { method: 'GET', path: '/v2/users/self', token: ALICE, userId: api.users[0].userId, status: 200 },
    ]);
  });

  it('a revoked token stops working', async () => {
    api.grantToken('short-lived', api.users[2].userId);
    expect((await call('/v2/users/self', { token: 'short-lived' })).status).toBe(200);
    api.revokeToken('short-lived');
    expect((await call('/v2/users/self', { token: 'short-lived' })).status).toBe(401);
  });

  it('serves each user only their own organisation and projects', async () => {
    const [alice, bob] = api.users;
    const customers = await call('/v2/customers', { token: ALICE });
    const projects = await call('/v2/projects', { token: ALICE });

    expect(customers.body.map((c: { customerId: string }) => c.customerId)).toEqual([alice.customerId]);
    expect(projects.body.map((p: { id: string }) => p.id).sort()).toEqual(alice.projects.map((p) => p.id).sort());
    expect((await call(`/v2/customers/${bob.customerId}`, { token: ALICE })).status).toBe(403);
  });

  it('finds a project by UUID and by short id; someone else’s is 403, an unknown one 404', async () => {
    const [alice, bob] = api.users;
    const byId = await call(`/v2/projects/${alice.projects[0].id}`, { token: ALICE });
    const byShortId = await call(`/v2/projects/${alice.projects[0].shortId}`, { token: ALICE });

    expect(byShortId).toEqual(byId);
    expect(byId.body).toMatchObject({ id: alice.projects[0].id, shortId: alice.projects[0].shortId, customerId: alice.customerId });
    expect((await call(`/v2/projects/${bob.projects[0].shortId}`, { token: ALICE })).status).toBe(403);
    expect((await call(`/v2/projects/${bob.projects[0].id}/mysql-databases`, { token: ALICE })).status).toBe(403);
    expect((await call('/v2/projects/p-000000', { token: ALICE })).status).toBe(404);
  });

  it('nested resources follow their project: installations, databases and their users', async () => {
    const [alice, bob] = api.users;
    const installations = await call(`/v2/projects/${alice.projects[0].id}/app-installations`, { token: ALICE });
    const installation = installations.body[0];
    expect((await call(`/v2/app-installations/${installation.id}`, { token: ALICE })).body).toEqual(installation);
    expect((await call(`/v2/apps/${installation.appId}`, { token: ALICE })).body.name).toBe(installation.appName);

    const bobsDatabase = [...api.state.mysqlDatabases.values()].find((d) => d.projectId === bob.projects[0].id)!;
    expect((await call(`/v2/mysql-databases/${bobsDatabase.id}`, { token: ALICE })).status).toBe(403);
    expect((await call(`/v2/mysql-users/${bobsDatabase.mainUser!.id}`, { token: ALICE })).status).toBe(403);
  });

  it('bad input is a 400 naming the field and changes nothing', async () => {
    const alice = api.users[0];
    const before = api.state.projects.size;
    const missing = await call(`/v2/servers/${alice.serverId}/projects`, { method: 'POST', token: ALICE, body: '{}' });
    const malformed = await call(`/v2/servers/${alice.serverId}/projects`, { method: 'POST', token: ALICE, body: '{oops' });

    expect(missing.status).toBe(400);
    expect(missing.body.validationErrors).toEqual([expect.objectContaining({ path: 'description' })]);
    expect(malformed.status).toBe(400);
    expect(api.state.projects.size).toBe(before);
  });

  it('creates (201 {id}) and deletes projects and MySQL databases', async () => {
    const alice = api.users[0];
    const created = await call(`/v2/servers/${alice.serverShortId}/projects`, { method: 'POST', token: ALICE, body: JSON.stringify({ description: 'New' }) });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['id']);

    const database = await call(`/v2/projects/${created.body.id}/mysql-databases`, {
      method: 'POST',
      token: ALICE,
      body: JSON.stringify({ database: { description: 'db', version: '8.0' }, user: { password: 'pw', accessLevel: 'full' } }),
    });
    expect(database.status).toBe(201);
    expect((await call(`/v2/mysql-users/${database.body.userId}`, { token: ALICE })).body.databaseId).toBe(database.body.id);

    expect((await call(`/v2/projects/${created.body.id}`, { method: 'DELETE', token: ALICE })).status).toBe(204);
    expect((await call(`/v2/projects/${created.body.id}`, { token: ALICE })).status).toBe(404);
    expect((await call(`/v2/mysql-databases/${database.body.id}`, { token: ALICE })).status).toBe(404);
  });

  it('keeps each conversation and its messages to the user who opened it', async () => {
    api.grantToken('bob', api.users[1].userId);
    const [general] = (await call('/v2/conversation-categories', { token: ALICE })).body;
    const created = await call('/v2/conversations', { method: 'POST', token: ALICE, body: JSON.stringify({ title: 'Help', categoryId: general.categoryId }) });
    expect(created.status).toBe(201);
    const { conversationId } = created.body;
    const message = await call(`/v2/conversations/${conversationId}/messages`, { method: 'POST', token: ALICE, body: JSON.stringify({ messageContent: 'hi' }) });
    expect(message.status).toBe(201);

    expect((await call(`/v2/conversations/${conversationId}/messages`, { token: ALICE })).body.map((m: { messageContent: string }) => m.messageContent)).toEqual(['hi']);
    expect((await call(`/v2/conversations/${conversationId}/messages`, { token: 'bob' })).status).toBe(403);
    expect((await call(`/v2/conversations/${conversationId}/messages`, { method: 'POST', token: 'bob', body: '{"messageContent":"x"}' })).status).toBe(403);
    expect((await call('/v2/conversations', { token: 'bob' })).body).toEqual([]);
  });

  it('new projects and backups become ready only after the configured delay', async () => {
    const alice = api.users[0];
    api.setReadinessDelay(300);
    try {
      const project = await call(`/v2/servers/${alice.serverId}/projects`, { method: 'POST', token: ALICE, body: '{"description":"slow"}' });
      const backup = await call(`/v2/projects/${alice.projects[0].id}/backups`, { method: 'POST', token: ALICE, body: JSON.stringify({ expirationTime: '2030-01-01T00:00:00Z' }) });
      expect((await call(`/v2/projects/${project.body.id}`, { token: ALICE })).body).toMatchObject({ readiness: 'creating', isReady: false });
      expect((await call(`/v2/project-backups/${backup.body.id}`, { token: ALICE })).body.status).toBe('Pending');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await call(`/v2/projects/${project.body.id}`, { token: ALICE })).body).toMatchObject({ readiness: 'ready', isReady: true });
      expect((await call(`/v2/project-backups/${backup.body.id}`, { token: ALICE })).body.status).toBe('Completed');
    } finally {
      api.setReadinessDelay(0);
    }
    const atOnce = await call(`/v2/servers/${alice.serverId}/projects`, { method: 'POST', token: ALICE, body: '{"description":"fast"}' });
    expect((await call(`/v2/projects/${atOnce.body.id}`, { token: ALICE })).body.readiness).toBe('ready');
  });

  it('stores the containers declared on a project stack, for that project’s users only', async () => {
    const [alice, bob] = api.users;
    const declared = await call(`/v2/stacks/${alice.projects[0].id}`, {
      method: 'PATCH',
      token: ALICE,
      body: JSON.stringify({ services: { db: { image: 'mariadb', envs: { ROOT_PASSWORD: 'x' } } } }),
    });
    expect(declared.status).toBe(200);
    const services = (await call(`/v2/projects/${alice.projects[0].shortId}/services`, { token: ALICE })).body;
    expect(services).toEqual([expect.objectContaining({ serviceName: 'db', stackId: alice.projects[0].id, pendingState: expect.objectContaining({ envs: { ROOT_PASSWORD: 'x' } }) })]);
    expect((await call(`/v2/stacks/${bob.projects[0].id}`, { method: 'PATCH', token: ALICE, body: '{"services":{}}' })).status).toBe(403);
  });

  it('unknown paths are 404, never 5xx', async () => {
    expect((await call('/v2/does-not-exist', { token: ALICE })).status).toBe(404);
  });

  it('refuses connections while down and serves again when back up', async () => {
    api.setDown(true);
    await expect(fetch(`${api.url}/v2/projects`, { headers: { 'x-access-token': ALICE } })).rejects.toThrow();
    api.setDown(false);
    expect((await call('/v2/projects', { token: ALICE })).status).toBe(200);
  });
});
