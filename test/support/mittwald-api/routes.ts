// The mittwald API v2 endpoints the stand-in `mw` commands call (paths as in @mittwald/api-client's descriptors).
// res.locals.userId is set by the simulator's token check before any of these run.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import {
  customerIdsOf,
  canSeeCustomer,
  requireProject,
  requireProjectResource,
  requireServer,
  visibleProjects,
} from './access.ts';
import { ApiError, type ValidationIssue } from './api-error.ts';
import { createContainerRoutes } from './container-routes.ts';
import { createConversationRoutes } from './conversation-routes.ts';
import { newMailAddress, newMysqlDatabase, newProject, upgradeCandidates } from './fixtures.ts';
import type { Readiness } from './readiness.ts';
import type { Backup, SimulatorState } from './state.ts';

export const SUPPORTED_MYSQL_VERSIONS = ['5.7', '8.0', '8.4'];

const userOf = (res: Response): string => res.locals.userId as string;
const param = (req: Request, name: string): string => String(req.params[name]);

/** limit/skip as the API offers them on list endpoints, with the total in a header. */
function sendPage<T>(req: Request, res: Response, items: T[]): void {
  const skip = Math.max(0, Number(req.query.skip) || 0);
  const limit = Number(req.query.limit) > 0 ? Number(req.query.limit) : items.length;
  res.set('x-pagination-totalcount', String(items.length)).json(items.slice(skip, skip + limit));
}

function expectString(body: unknown, path: string, issues: ValidationIssue[]): string {
  const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], body);
  if (typeof value === 'string' && value.trim() !== '') return value;
  issues.push({ path, message: `${path} must be a non-empty string`, type: 'required' });
  return '';
}

function failOnIssues(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw ApiError.validation(issues);
}

const shortId = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`;

function deleteProjectWithResources(state: SimulatorState, projectId: string): void {
  state.projects.delete(projectId);
  for (const resources of [state.appInstallations, state.mysqlDatabases, state.cronjobs, state.backups, state.mailAddresses, state.containerServices]) {
    for (const [id, resource] of resources as Map<string, { projectId?: string }>) {
      if (resource.projectId === projectId) resources.delete(id);
    }
  }
  for (const [id, user] of state.mysqlUsers) {
    if (!state.mysqlDatabases.has(user.databaseId)) state.mysqlUsers.delete(id);
  }
}

export function createApiRoutes(state: SimulatorState, readiness: Readiness): Router {
  const router = Router();

  router.get('/v2/users/:userId', (req, res) => {
    const requested = param(req, 'userId') === 'self' ? userOf(res) : param(req, 'userId');
    const user = state.users.get(requested);
    if (!user) throw ApiError.notFound(`user ${requested}`);
    if (requested !== userOf(res)) throw ApiError.forbidden(`user ${requested}`);
    res.json(user);
  });

  router.get('/v2/customers', (req, res) => {
    sendPage(req, res, customerIdsOf(state, userOf(res)).map((id) => state.customers.get(id)!));
  });

  router.get('/v2/customers/:customerId', (req, res) => {
    const customer = state.customers.get(param(req, 'customerId'));
    if (!customer) throw ApiError.notFound(`customer ${param(req, 'customerId')}`);
    if (!canSeeCustomer(state, userOf(res), customer.customerId)) throw ApiError.forbidden(`customer ${customer.customerId}`);
    res.json(customer);
  });

  router.get('/v2/servers/:serverId', (req, res) => {
    res.json(requireServer(state, userOf(res), param(req, 'serverId')));
  });

  router.get('/v2/projects', (req, res) => {
    const customerId = typeof req.query.customerId === 'string' ? req.query.customerId : undefined;
    const projects = visibleProjects(state, userOf(res)).filter((p) => !customerId || p.customerId === customerId);
    sendPage(req, res, projects);
  });

  router.get('/v2/projects/:projectId', (req, res) => {
    res.json(requireProject(state, userOf(res), param(req, 'projectId')));
  });

  router.post('/v2/servers/:serverId/projects', (req, res) => {
    const server = requireServer(state, userOf(res), param(req, 'serverId'));
    const issues: ValidationIssue[] = [];
    const description = expectString(req.body, 'description', issues);
    failOnIssues(issues);
    const project = newProject({
      id: randomUUID(),
      shortId: shortId('p'),
      description,
      customerId: server.customerId,
      server,
      createdAt: new Date().toISOString(),
    });
    if (readiness.delayMs > 0) Object.assign(project, { isReady: false, readiness: 'creating', status: 'pending' });
    state.projects.set(project.id, project);
    readiness.schedule(() => Object.assign(project, { isReady: true, readiness: 'ready', status: 'ready', statusSetAt: new Date().toISOString() }));
    res.status(201).json({ id: project.id });
  });

  router.delete('/v2/projects/:projectId', (req, res) => {
    const project = requireProject(state, userOf(res), param(req, 'projectId'));
    deleteProjectWithResources(state, project.id);
    res.status(204).end();
  });

  const listInProject = <T extends { projectId?: string }>(path: string, resources: Map<string, T>): void => {
    router.get(`/v2/projects/:projectId/${path}`, (req, res) => {
      const project = requireProject(state, userOf(res), param(req, 'projectId'));
      sendPage(req, res, [...resources.values()].filter((r) => r.projectId === project.id));
    });
  };
  listInProject('app-installations', state.appInstallations);
  listInProject('mysql-databases', state.mysqlDatabases);
  listInProject('cronjobs', state.cronjobs);
  listInProject('backups', state.backups);
  listInProject('mail-addresses', state.mailAddresses);

  router.post('/v2/projects/:projectId/backups', (req, res) => {
    const project = requireProject(state, userOf(res), param(req, 'projectId'));
    const expirationTime = expectString(req.body, 'expirationTime', []);
    if (!expirationTime || Number.isNaN(Date.parse(expirationTime))) {
      throw ApiError.validation([{ path: 'expirationTime', message: 'expirationTime must be a date-time', type: 'format' }]);
    }
    const now = new Date().toISOString();
    const backup: Backup = {
      id: randomUUID(),
      projectId: project.id,
      description: typeof req.body?.description === 'string' ? req.body.description : undefined,
      status: readiness.delayMs > 0 ? 'Pending' : 'Completed',
      deletable: true,
      requestedAt: now,
      expiresAt: new Date(expirationTime).toISOString(),
    };
    state.backups.set(backup.id, backup);
    readiness.schedule(() => Object.assign(backup, { status: 'Completed', createdAt: new Date().toISOString() }));
    res.status(201).json({ id: backup.id });
  });

  router.get('/v2/project-backups/:id', (req, res) => {
    res.json(requireProjectResource(state, userOf(res), state.backups, param(req, 'id'), 'project backup', (b) => b.projectId));
  });

  router.get('/v2/app-installations/:id', (req, res) => {
    res.json(requireProjectResource(state, userOf(res), state.appInstallations, param(req, 'id'), 'app installation', (i) => i.projectId));
  });

  router.get('/v2/apps/:appId', (req, res) => {
    const app = state.apps.get(param(req, 'appId'));
    if (!app) throw ApiError.notFound(`app ${param(req, 'appId')}`);
    res.json(app);
  });

  // The versions of an app: the one an installation runs (whichever version id it names) and the upgrade targets.
  router.get('/v2/apps/:appId/versions/:versionId', (req, res) => {
    const app = state.apps.get(param(req, 'appId'));
    const versionId = param(req, 'versionId');
    const candidate = app && upgradeCandidates(app).find((version) => version.id === versionId);
    const installed = [...state.appInstallations.values()].find((i) => i.appId === app?.id && i.appVersion.current === versionId);
    if (!app || (!candidate && !installed)) throw ApiError.notFound(`app version ${versionId}`);
    res.json(candidate ?? { id: versionId, appId: app.id, externalVersion: installed!.appExternalVersion, internalVersion: installed!.appExternalVersion });
  });

  router.get('/v2/apps/:appId/versions/:baseVersionId/update-candidates', (req, res) => {
    const app = state.apps.get(param(req, 'appId'));
    if (!app) throw ApiError.notFound(`app ${param(req, 'appId')}`);
    res.json(upgradeCandidates(app));
  });

  router.patch('/v2/app-installations/:id', (req, res) => {
    const installation = requireProjectResource(state, userOf(res), state.appInstallations, param(req, 'id'), 'app installation', (i) => i.projectId);
    const app = state.apps.get(installation.appId)!;
    const target = upgradeCandidates(app).find((version) => version.id === req.body?.appVersionId);
    if (!target) throw ApiError.validation([{ path: 'appVersionId', message: 'appVersionId must be an upgrade candidate', type: 'enum' }]);
    installation.appVersion.desired = target.id;
    res.status(204).end();
  });

  router.post('/v2/projects/:projectId/mysql-databases', (req, res) => {
    const project = requireProject(state, userOf(res), param(req, 'projectId'));
    const issues: ValidationIssue[] = [];
    const description = expectString(req.body, 'database.description', issues);
    const version = expectString(req.body, 'database.version', issues);
    expectString(req.body, 'user.password', issues);
    if (version && !SUPPORTED_MYSQL_VERSIONS.includes(version)) {
      issues.push({ path: 'database.version', message: `version must be one of ${SUPPORTED_MYSQL_VERSIONS.join(', ')}`, type: 'enum' });
    }
    failOnIssues(issues);
    const { database, user } = newMysqlDatabase({
      databaseId: randomUUID(),
      userId: randomUUID(),
      name: `mysql_${randomBytes(3).toString('hex')}`,
      projectId: project.id,
      description,
      version,
      createdAt: new Date().toISOString(),
    });
    state.mysqlDatabases.set(database.id, database);
    state.mysqlUsers.set(user.id, user);
    res.status(201).json({ id: database.id, userId: user.id });
  });

  router.get('/v2/mysql-databases/:id', (req, res) => {
    res.json(requireProjectResource(state, userOf(res), state.mysqlDatabases, param(req, 'id'), 'mysql database', (d) => d.projectId));
  });

  router.delete('/v2/mysql-databases/:id', (req, res) => {
    const database = requireProjectResource(state, userOf(res), state.mysqlDatabases, param(req, 'id'), 'mysql database', (d) => d.projectId);
    state.mysqlDatabases.delete(database.id);
    for (const [id, user] of state.mysqlUsers) if (user.databaseId === database.id) state.mysqlUsers.delete(id);
    res.status(204).end();
  });

  router.get('/v2/mysql-users/:id', (req, res) => {
    const user = state.mysqlUsers.get(param(req, 'id'));
    if (!user) throw ApiError.notFound(`mysql user ${param(req, 'id')}`);
    requireProjectResource(state, userOf(res), state.mysqlDatabases, user.databaseId, 'mysql user', (d) => d.projectId);
    res.json(user);
  });

  router.post('/v2/projects/:projectId/mail-addresses', (req, res) => {
    const project = requireProject(state, userOf(res), param(req, 'projectId'));
    const issues: ValidationIssue[] = [];
    const address = expectString(req.body, 'address', issues);
    const forwardAddresses: unknown = req.body?.forwardAddresses;
    const isForward = Array.isArray(forwardAddresses) && req.body?.mailbox === undefined;
    if (!isForward) expectString(req.body, 'mailbox.password', issues);
    if (address && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      issues.push({ path: 'address', message: 'address must be an e-mail address', type: 'format' });
    }
    if ([...state.mailAddresses.values()].some((m) => m.address === address)) {
      issues.push({ path: 'address', message: `${address} already exists`, type: 'unique' });
    }
    failOnIssues(issues);
    const mail = newMailAddress({
      id: randomUUID(),
      projectId: project.id,
      address,
      updatedAt: new Date().toISOString(),
      forwardAddresses: isForward ? (forwardAddresses as string[]) : undefined,
      withMailbox: !isForward,
    });
    state.mailAddresses.set(mail.id, mail);
    res.status(201).json({ id: mail.id });
  });

  router.use(createConversationRoutes(state));
  router.use(createContainerRoutes(state));

  router.use((req) => {
    throw ApiError.notFound(`${req.method} ${req.path}`);
  });

  return router;
}
