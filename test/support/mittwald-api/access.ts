// Who may see what: a user sees the organisations they are a member of, and everything below them.
// Unknown ids are 404, ids that exist but belong to someone else are 403 (as mittwald answers).
import { ApiError } from './api-error.ts';
import type { Project, Server, SimulatorState } from './state.ts';

export function customerIdsOf(state: SimulatorState, userId: string): string[] {
  return [...state.customerMembers].filter(([, members]) => members.includes(userId)).map(([customerId]) => customerId);
}

export function canSeeCustomer(state: SimulatorState, userId: string, customerId: string): boolean {
  return state.customerMembers.get(customerId)?.includes(userId) ?? false;
}

export function visibleProjects(state: SimulatorState, userId: string): Project[] {
  return [...state.projects.values()].filter((project) => canSeeCustomer(state, userId, project.customerId));
}

/** Finds a project by UUID or short id (p-xxxxxx), like GET /v2/projects/{id} does. */
export function requireProject(state: SimulatorState, userId: string, idOrShortId: string): Project {
  const project = state.projects.get(idOrShortId) ?? [...state.projects.values()].find((p) => p.shortId === idOrShortId);
  if (!project) throw ApiError.notFound(`project ${idOrShortId}`);
  if (!canSeeCustomer(state, userId, project.customerId)) throw ApiError.forbidden(`project ${idOrShortId}`);
  return project;
}

export function requireServer(state: SimulatorState, userId: string, idOrShortId: string): Server {
  const server = state.servers.get(idOrShortId) ?? [...state.servers.values()].find((s) => s.shortId === idOrShortId);
  if (!server) throw ApiError.notFound(`server ${idOrShortId}`);
  if (!canSeeCustomer(state, userId, server.customerId)) throw ApiError.forbidden(`server ${idOrShortId}`);
  return server;
}

/** A resource that lives in a project: visible when its project is. */
export function requireProjectResource<T>(
  state: SimulatorState,
  userId: string,
  resources: Map<string, T>,
  id: string,
  kind: string,
  projectIdOf: (resource: T) => string,
): T {
  const resource = resources.get(id);
  if (!resource) throw ApiError.notFound(`${kind} ${id}`);
  const project = state.projects.get(projectIdOf(resource));
  if (!project || !canSeeCustomer(state, userId, project.customerId)) throw ApiError.forbidden(`${kind} ${id}`);
  return resource;
}
