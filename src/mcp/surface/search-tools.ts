// The search mode (`/mcp/x/search`): three tools instead of the catalogue, for clients with a tool
// budget. find_tools and describe_tool answer from the catalogue and run nothing; call_tool names
// the catalogue tool that runs, which then goes the way a direct call goes (connection-surface.ts):
// the same scope check and step-up, confirmation, limits and child.
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import { ToolError } from '../tools/errors.ts';
import { errorResult } from '../tools/result.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { listedTool } from '../protocol/tool-listing.ts';

export const FIND_TOOLS = 'find_tools';
export const DESCRIBE_TOOL = 'describe_tool';
export const CALL_TOOL = 'call_tool';

const DEFAULT_MATCHES = 15;
const MAX_MATCHES = 50;
const MAX_QUERY_LENGTH = 200;
const MAX_QUERY_WORDS = 12;

export function searchToolsListed(topics: string[]): Tool[] {
  return [
    {
      name: FIND_TOOLS,
      title: 'Find tools',
      description:
        'Finds mittwald tools by words (e.g. "create database", "delete backup") and/or topic. Returns name, title and one line each. ' +
        `Use first; then ${DESCRIBE_TOOL} for a tool's inputs and ${CALL_TOOL} to run it.`,
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', maxLength: MAX_QUERY_LENGTH, description: 'words to look for in tool names, titles and descriptions' },
          topic: topics.length ? { type: 'string', enum: topics } : { type: 'string' },
          limit: { type: 'integer', minimum: 1, maximum: MAX_MATCHES, default: DEFAULT_MATCHES },
        },
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: DESCRIBE_TOOL,
      title: 'Describe tool',
      description: `Shows one tool's description, input schema and the scopes it needs. Use before ${CALL_TOOL}.`,
      inputSchema: { type: 'object', properties: { name: { type: 'string', maxLength: 200 } }, required: ['name'], additionalProperties: false },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: CALL_TOOL,
      title: 'Call tool',
      description:
        'Runs a tool by name with arguments matching its input schema. Scopes, confirmations and limits are those of the tool itself: ' +
        'a destructive tool asks the user first.',
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 200 },
          arguments: { type: 'object', description: `the tool's input, as ${DESCRIBE_TOOL} shows it` },
        },
        required: ['name'],
        additionalProperties: false,
      },
      // what the called tool does decides; as a whole it may write and destroy
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: false },
    },
  ];
}

const wordsOf = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
/** "databases" finds "database", "backups" "backup" */
const stem = (word: string) => (word.length > 3 && word.endsWith('s') ? word.slice(0, -1) : word);

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 160);
}

interface Match {
  tool: ToolDefinition;
  matched: number;
  score: number;
}

/** Every query word found counts; in the name most, then title, then description. */
function match(tool: ToolDefinition, words: string[]): Match {
  const name = new Set(tool.words.flatMap((word) => wordsOf(word)).map(stem));
  const title = new Set(wordsOf(tool.title).map(stem));
  const described = new Set(wordsOf(firstLine(tool.description)).map(stem));
  let matched = 0;
  let score = 0;
  for (const word of words) {
    const weight = name.has(word) ? 3 : title.has(word) ? 2 : described.has(word) ? 1 : 0;
    if (weight) matched++;
    score += weight;
  }
  return { tool, matched, score };
}

function argumentError(message: string): CallToolResult {
  return errorResult(new ToolError('invalid_input', message));
}

function textResult(text: string, structuredContent: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent };
}

export function findTools(offered: readonly ToolDefinition[], input: Record<string, unknown>): CallToolResult {
  const { query = '', topic, limit = DEFAULT_MATCHES } = input;
  if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) return argumentError(`query must be text of at most ${MAX_QUERY_LENGTH} characters`);
  if (topic !== undefined && typeof topic !== 'string') return argumentError('topic must be one of the listed topics');
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_MATCHES) return argumentError(`limit must be 1 to ${MAX_MATCHES}`);
  const words = [...new Set(wordsOf(query).map(stem))].slice(0, MAX_QUERY_WORDS);
  const inTopic = topic === undefined ? offered : offered.filter((tool) => tool.topic === topic);
  const found = words.length
    ? inTopic
        .map((tool) => match(tool, words))
        .filter((m) => m.matched > 0)
        .sort((a, b) => b.matched - a.matched || b.score - a.score || a.tool.name.localeCompare(b.tool.name))
        .map((m) => m.tool)
    : inTopic;
  const shown = found.slice(0, limit as number).map((tool) => ({ name: tool.name, title: tool.title, summary: firstLine(tool.description) }));
  const lines = shown.map((tool) => `${tool.name} (${tool.title}): ${tool.summary}`);
  const more = found.length > shown.length ? `\n…and ${found.length - shown.length} more: narrow the words or pick a topic.` : '';
  const text = lines.length ? lines.join('\n') + more : 'No tool matches; try other words or no topic.';
  return textResult(text, { tools: shown, total: found.length });
}

export function describeTool(tool: ToolDefinition): CallToolResult {
  const listed = listedTool(tool);
  return textResult(JSON.stringify(listed), { tool: listed });
}
