// What container commands share: help texts, and finding a container in a project by id, short id
// or name, as mw does (through the project's service list).
import { assertStatus } from './api.js';
import { normalizeProjectId } from './normalize-id.js';

export const CONTAINER_TEXTS = {
  env: { summary: 'set environment variables in the container', description: 'Format: KEY=VALUE. Repeat the flag for more variables.' },
  'env-file': { summary: 'read environment variables from a file', description: 'The file should contain lines in the format KEY=VALUE. Repeat the flag for more files.' },
  description: { summary: 'add a descriptive label to the container' },
  entrypoint: { summary: 'override the default entrypoint of the container image' },
  publish: { summary: "publish a container's port(s) to the host", description: 'Format: <host-port>:<container-port> or just <container-port>.' },
  'publish-all': { summary: 'publish all ports that are defined in the image' },
  volume: { summary: 'bind mount a volume to the container', description: 'Format: <host-path>:<container-path>, or a named volume.' },
};

/** [serviceId, stackId] of the container named by id, short id or service name */
export async function findContainerInProject(apiClient, projectIdOrShortId, containerId) {
  const projectId = await normalizeProjectId(apiClient, projectIdOrShortId);
  const services = assertStatus(await apiClient.container.listServices({ projectId }), 200);
  const service = services.find((s) => s.id === containerId || s.shortId === containerId || s.serviceName === containerId);
  if (!service) throw new Error(`no container ${containerId} found in project ${projectId}`);
  return [service.id, service.stackId];
}
