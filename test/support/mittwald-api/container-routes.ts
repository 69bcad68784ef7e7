// Containers: every project has one default stack (its id is the project id) whose services the
// CLI declares with PATCH /v2/stacks/{id}. The simulator stores what was declared, so a test sees
// exactly what `container run|update` sent (its environment above all), and runs nothing.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { requireProject } from './access.ts';
import { ApiError } from './api-error.ts';
import type { ContainerService, SimulatorState } from './state.ts';

type ServiceState = ContainerService['pendingState'];

const userOf = (res: Response): string => res.locals.userId as string;

const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;

const stringMap = (value: unknown): Record<string, string> | undefined =>
  value && typeof value === 'object' && Object.values(value).every((item) => typeof item === 'string') ? (value as Record<string, string>) : undefined;

/** the declared fields of one service; `environment` is the current name of the deprecated `envs` */
function declaredState(body: Record<string, unknown>, previous?: ServiceState): ServiceState {
  const image = typeof body.image === 'string' ? body.image : previous?.image;
  if (!image) throw ApiError.validation([{ path: 'image', message: 'image is required for a new service', type: 'required' }]);
  return {
    image,
    command: stringArray(body.command) ?? previous?.command,
    entrypoint: stringArray(body.entrypoint) ?? previous?.entrypoint,
    envs: stringMap(body.environment) ?? stringMap(body.envs) ?? previous?.envs,
    ports: stringArray(body.ports) ?? previous?.ports,
    volumes: stringArray(body.volumes) ?? previous?.volumes,
  };
}

function servicesOf(state: SimulatorState, projectId: string): ContainerService[] {
  return [...state.containerServices.values()].filter((service) => service.stackId === projectId);
}

function requireService(state: SimulatorState, userId: string, stackId: string, serviceId: string): ContainerService {
  requireProject(state, userId, stackId);
  const service = state.containerServices.get(serviceId);
  if (!service || service.stackId !== stackId) throw ApiError.notFound(`service ${serviceId} in stack ${stackId}`);
  return service;
}

export function createContainerRoutes(state: SimulatorState): Router {
  const router = Router();

  /** any image "exists"; its config is a plain one */
  router.get('/v2/container-image-config', (req: Request, res) => {
    if (typeof req.query.imageReference !== 'string' || req.query.imageReference === '') {
      throw ApiError.validation([{ path: 'imageReference', message: 'imageReference is required', type: 'required' }]);
    }
    if (typeof req.query.useCredentialsForProjectId === 'string') requireProject(state, userOf(res), req.query.useCredentialsForProjectId);
    res.json({ digest: `sha256:${'0'.repeat(64)}`, command: ['sh'], entrypoint: ['/docker-entrypoint.sh'], exposedPorts: [], env: [] });
  });

  router.get('/v2/projects/:projectId/services', (req, res) => {
    const project = requireProject(state, userOf(res), String(req.params.projectId));
    res.json(servicesOf(state, project.id));
  });

  router.get('/v2/stacks/:stackId/services/:serviceId', (req, res) => {
    res.json(requireService(state, userOf(res), String(req.params.stackId), String(req.params.serviceId)));
  });

  router.patch('/v2/stacks/:stackId', (req, res) => {
    const project = requireProject(state, userOf(res), String(req.params.stackId));
    const declared: unknown = req.body?.services ?? {};
    if (typeof declared !== 'object' || declared === null) {
      throw ApiError.validation([{ path: 'services', message: 'services must be an object', type: 'type' }]);
    }
    for (const [serviceName, body] of Object.entries(declared as Record<string, Record<string, unknown>>)) {
      const existing = servicesOf(state, project.id).find((service) => service.serviceName === serviceName);
      const pendingState = declaredState(body ?? {}, existing?.pendingState);
      const now = new Date().toISOString();
      const service: ContainerService = existing
        ? { ...existing, pendingState, requiresRecreate: true, description: typeof body?.description === 'string' ? body.description : existing.description }
        : {
            id: randomUUID(),
            shortId: `c-${randomBytes(3).toString('hex')}`,
            serviceName,
            description: typeof body?.description === 'string' ? body.description : serviceName,
            projectId: project.id,
            stackId: project.id,
            deployedState: pendingState,
            pendingState,
            requiresRecreate: false,
            status: 'running',
            statusSetAt: now,
          };
      state.containerServices.set(service.id, service);
    }
    res.json({ id: project.id, projectId: project.id, description: 'default', disabled: false, prefix: project.shortId, services: servicesOf(state, project.id) });
  });

  router.post('/v2/stacks/:stackId/services/:serviceId/actions/recreate', (req, res) => {
    const service = requireService(state, userOf(res), String(req.params.stackId), String(req.params.serviceId));
    state.containerServices.set(service.id, { ...service, deployedState: service.pendingState, requiresRecreate: false, statusSetAt: new Date().toISOString() });
    res.status(204).end();
  });

  return router;
}
