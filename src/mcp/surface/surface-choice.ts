// Which surface a connection asked for, from the three places a client can say it: the URL path
// (`/mcp/x/<toolset>[,<toolset>…][/readonly]`, `/mcp/readonly`), the query (`?toolsets=…&readonly=true`)
// or headers (`X-MCP-Toolsets`, `X-MCP-Readonly`), for clients that cannot change the path. Pure:
// every string here comes from the client and is checked against the known toolsets.

/** the toolset that turns a connection into the search mode (search-tools.ts) */
export const SEARCH_TOOLSET = 'search';
export const TOOLSETS_QUERY = 'toolsets';
export const READONLY_QUERY = 'readonly';
export const TOOLSETS_HEADER = 'x-mcp-toolsets';
export const READONLY_HEADER = 'x-mcp-readonly';

/** longer than every toolset named once; anything longer is not a list of them */
const MAX_TOOLSETS_TEXT = 512;
/** how much of an unknown name the error repeats */
const MAX_ECHOED_NAME = 40;

export interface SurfaceChoice {
  /** the chosen toolsets, each once, in the order given; undefined: every tool */
  toolsets?: string[];
  readOnly: boolean;
}

export interface SurfaceRequest {
  /** the `:toolsets` part of `/mcp/x/:toolsets`, decoded */
  pathToolsets?: string;
  pathReadOnly: boolean;
  query: URLSearchParams;
  header(name: string): string | undefined;
}

export class SurfaceChoiceError extends Error {
  override name = 'SurfaceChoiceError';
}

function echoed(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > MAX_ECHOED_NAME ? `${printable.slice(0, MAX_ECHOED_NAME)}…` : printable);
}

function parseToolsets(text: string, known: readonly string[]): string[] {
  const choose = `choose from ${known.join(', ')}`;
  if (text.length > MAX_TOOLSETS_TEXT) throw new SurfaceChoiceError(`Unknown toolsets: the list is too long; ${choose}`);
  const names = text.split(',');
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) {
    const shown = [...new Set(unknown)].slice(0, 3).map(echoed).join(', ');
    throw new SurfaceChoiceError(`Unknown toolset ${shown}: ${choose}`);
  }
  return [...new Set(names)];
}

function parseFlag(value: string | undefined, where: string): boolean {
  if (value === undefined) return false;
  const normalised = value.trim().toLowerCase();
  if (normalised === '' || normalised === 'true' || normalised === '1') return true;
  if (normalised === 'false' || normalised === '0') return false;
  throw new SurfaceChoiceError(`${where} takes true or false`);
}

/**
 * The surface a request asked for. Toolsets may be named in one place only (two lists would leave
 * the client guessing which one counts); read-only from any of them narrows.
 */
export function chooseSurface(request: SurfaceRequest, known: readonly string[]): SurfaceChoice {
  const queryToolsets = request.query.getAll(TOOLSETS_QUERY);
  // a header list may have spaces after its commas (RFC 9110 §5.6.1); a path or query has none
  const headerToolsets = request.header(TOOLSETS_HEADER)?.split(',').map((name) => name.trim()).join(',');
  const given = [request.pathToolsets, ...queryToolsets, headerToolsets].filter((text) => text !== undefined);
  if (given.length > 1) {
    throw new SurfaceChoiceError(`Name toolsets once: in the path (/mcp/x/…), the ${TOOLSETS_QUERY} query parameter or the X-MCP-Toolsets header`);
  }
  const readOnlyQueries = request.query.getAll(READONLY_QUERY);
  if (readOnlyQueries.length > 1) throw new SurfaceChoiceError(`The ${READONLY_QUERY} query parameter may be given once`);
  const readOnly =
    request.pathReadOnly ||
    parseFlag(readOnlyQueries[0], `The ${READONLY_QUERY} query parameter`) ||
    parseFlag(request.header(READONLY_HEADER), 'The X-MCP-Readonly header');
  return { ...(given.length ? { toolsets: parseToolsets(given[0]!, known) } : {}), readOnly };
}
