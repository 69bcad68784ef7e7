// The guides this server offers as resources: text a model reads before it acts, so that it avoids
// the classic mistakes (a domain for a virtual host, the published port for the container's). The
// markdown lives beside this file; every `mw` command and flag in it is checked against the real
// CLI surface by test/mcp/resources.test.ts.
import { readFileSync } from 'node:fs';

export interface ResourceAnnotations {
  audience: Array<'user' | 'assistant'>;
  /** 0..1: how much the model should lean on it */
  priority: number;
}

export interface Guide {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: 'text/markdown';
  annotations: ResourceAnnotations;
  size: number;
  text: string;
}

const GUIDES: Array<Omit<Guide, 'uri' | 'mimeType' | 'size' | 'text'>> = [
  {
    name: 'common-confusions',
    title: 'Common confusions',
    description: 'Ids vs. short ids, organisation vs. server vs. project, app vs. app installation, ports vs. ingresses. Read before the first command.',
    annotations: { audience: ['assistant'], priority: 0.9 },
  },
  {
    name: 'containers-and-stacks',
    title: 'Containers and stacks',
    description: 'Running containers in a project: names, published ports, volumes, environment, updates, and which commands take --wait.',
    annotations: { audience: ['assistant'], priority: 0.7 },
  },
  {
    name: 'virtual-hosts-and-ingresses',
    title: 'Virtual hosts and ingresses',
    description: 'Routing a host name to an app installation, a container port or a redirect with mw domain virtualhost.',
    annotations: { audience: ['assistant'], priority: 0.7 },
  },
  {
    name: 'domains-vs-virtual-hosts',
    title: 'Domains vs. virtual hosts',
    description: 'Which one a request is about (a registered name and its DNS, or what the web server answers) and the commands for each.',
    annotations: { audience: ['assistant', 'user'], priority: 0.8 },
  },
  {
    name: 'example-multi-container',
    title: 'Worked example: Gitea with PostgreSQL',
    description: 'Two containers that talk by name, volumes, and a virtual host to the web container, command by command.',
    annotations: { audience: ['assistant', 'user'], priority: 0.5 },
  },
];

export const GUIDE_URI_PREFIX = 'mittwald://guides/';

/** Read once at start: the guides are part of the server, not data. */
export function loadGuides(directory = new URL('./guides/', import.meta.url)): Guide[] {
  return GUIDES.map((guide) => {
    const text = readFileSync(new URL(`${guide.name}.md`, directory), 'utf8');
    return { ...guide, uri: `${GUIDE_URI_PREFIX}${guide.name}`, mimeType: 'text/markdown', size: Buffer.byteLength(text), text };
  });
}
