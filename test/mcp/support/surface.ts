// The catalogue as the server builds it from the real `mw` surface, and the surface's own
// annotations (contextDefault, kind, variadic) to check the catalogue's derivations against: the
// catalogue never sees them, as an installed CLI has none.
import { buildToolCatalogue, type CatalogueOptions } from '../../../src/mcp/tools/catalogue.ts';
import { loadToolOverrides, type ToolOverrides } from '../../../src/mcp/tools/overrides.ts';
import type { ToolCatalogue, ToolDefinition } from '../../../src/mcp/tools/types.ts';
import { mwSurfaceCommandSet, readMwSurface, type SurfaceCommand } from '../../support/mw-surface.ts';
import { repoRoot, testConfig } from './fakes.ts';

export const shippedOverrides = (): ToolOverrides => loadToolOverrides(`${repoRoot}config/tools.json`);
export const knownScopes = testConfig().mittwald.scopes.upstream;

export function surfaceCatalogue(options: Partial<CatalogueOptions> = {}, overrides = shippedOverrides()): ToolCatalogue {
  return buildToolCatalogue(mwSurfaceCommandSet(), overrides, { readOnly: false, knownScopes, ...options });
}

export const surfaceCommands: SurfaceCommand[] = readMwSurface();
export const surfaceCommand = (commandId: string): SurfaceCommand => {
  const found = surfaceCommands.find((c) => c.id === commandId);
  if (!found) throw new Error(`no surface command ${commandId}`);
  return found;
};

export function toolOf(catalogue: ToolCatalogue, name: string): ToolDefinition {
  const found = catalogue.get(name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

export const spaced = (commandId: string) => commandId.split(':').join(' ');

/** The tool property an input ("--flag" / "<arg>") became, if the tool offers it. */
export function propertyOf(tool: ToolDefinition, key: string): string | undefined {
  const binding = tool.bindings.find((b) =>
    b.kind === 'flag' ? `--${b.flag.name}` === key : b.kind === 'argument' ? `<${b.name}>` === key : false,
  );
  return binding?.property;
}
