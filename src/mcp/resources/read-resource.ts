// resources/list, resources/templates/list and resources/read as plain functions: guides from
// memory, templates through the tool caller (so a read is a tool call in all but its answer's shape).
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolCallContext, ToolCaller } from '../tools/call-tool.ts';
import { ToolError, type ToolErrorCode, ToolInputError } from '../tools/errors.ts';
import type { Guide } from './guides.ts';
import { type LiveTemplate, matchTemplate, readThrough } from './live-reads.ts';

export interface ResourceContents {
  uri: string;
  mimeType: string;
  text: string;
}

const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** mw's error, as the resource error a client understands */
function readFailure(uri: string, result: CallToolResult): ToolError {
  const error = (result.structuredContent as { error?: { code?: ToolErrorCode; message?: string } } | undefined)?.error;
  const message = error?.message ?? textOf(result);
  switch (error?.code) {
    case 'not_found':
    case 'permission':
      // mittwald answers 403 for another user's id: to this user it does not exist
      return new ToolError('not_found', `Resource not found: ${uri} (not found, or not visible to this user: ${message})`);
    case 'invalid_input':
      return new ToolInputError(`${uri}: ${message}`);
    default:
      const code = error?.code ?? 'cli_failure';
      return new ToolError(code, `${uri} could not be read: ${code}: ${message}`);
  }
}

export function createResourceReader(deps: { guides: Guide[]; templates: LiveTemplate[]; callTool: ToolCaller }) {
  const { guides, templates, callTool } = deps;
  const guidesByUri = new Map(guides.map((guide) => [guide.uri, guide]));
  // the lists change only with the server: built once, not per resources/list
  const listedResources = guides.map(({ text: _text, ...listed }) => listed);
  const listedTemplates = templates.map(({ uriTemplate, name, title, description, mimeType, annotations }) => ({ uriTemplate, name, title, description, mimeType, annotations }));

  return {
    listResources: () => listedResources,

    listTemplates: () => listedTemplates,

    /** `context`: the caller's access and cancellation, as for a tool call */
    async read(uri: string, context: Pick<ToolCallContext, 'access' | 'signal'>): Promise<{ contents: ResourceContents[] }> {
      const guide = guidesByUri.get(uri);
      if (guide) return { contents: [{ uri, mimeType: guide.mimeType, text: guide.text }] };
      const match = matchTemplate(templates, uri);
      if (!match) throw new ToolError('not_found', `Resource not found: ${uri} (resources/list and resources/templates/list name what there is)`);
      const { template, id } = match;
      const result = await readThrough(callTool, template.command, { [template.property]: id }, { ...context, rawOutput: template.rawOutput });
      if (result.isError) throw readFailure(uri, result);
      const text = template.mimeType === 'application/json' && result.structuredContent ? JSON.stringify(result.structuredContent, null, 2) : textOf(result);
      return { contents: [{ uri, mimeType: template.mimeType, text }] };
    },
  };
}

export type ResourceReader = ReturnType<typeof createResourceReader>;
