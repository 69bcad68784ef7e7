// The real `mw` command surface (test/support/mw-cli/data/mw-surface.json: 192 commands with every
// flag, rebuilt from the CLI's public command reference, plus our annotations). It is the ground
// truth the catalogue must be right for; the stand-in CLI is built from the same file.
import { readFileSync } from 'node:fs';
import { normaliseCommandSet } from '../../src/cli/normalise-commands.ts';
import type { CliCommandSet } from '../../src/cli/types.ts';

/** What a value is when it is not a plain value (our annotation). */
export type SurfaceKind = 'local-path-read' | 'local-path-write' | 'local-program' | 'secret';

export interface SurfaceArgument {
  name: string;
  required: boolean;
  /** the id may be left out only when the CLI has a local context (a server has none) */
  contextDefault?: boolean;
  kind?: SurfaceKind;
}

export interface SurfaceFlag {
  type: 'boolean' | 'option';
  required: boolean;
  multiple: boolean;
  char?: string;
  allowNo?: boolean;
  default?: unknown;
  helpGroup?: string;
  options?: string[];
  exclusive?: string[];
  contextDefault?: boolean;
  kind?: SurfaceKind;
}

export interface SurfaceCommand {
  id: string;
  aliases: string[];
  args: SurfaceArgument[];
  flags: Record<string, SurfaceFlag>;
}

export const mwSurfacePath = new URL('./mw-cli/data/mw-surface.json', import.meta.url);

export function readMwSurface(): SurfaceCommand[] {
  return (JSON.parse(readFileSync(mwSurfacePath, 'utf8')) as { commands: SurfaceCommand[] }).commands;
}

/** The surface as the server reads an installed CLI's metadata (oclif's cached command shape, normalised). */
export function mwSurfaceCommandSet(version = '1.22.0-surface'): CliCommandSet {
  const raw = readMwSurface().map((command) => ({
    id: command.id,
    aliases: command.aliases,
    hidden: false,
    args: Object.fromEntries(command.args.map((arg) => [arg.name, { ...arg }])),
    flags: Object.fromEntries(Object.entries(command.flags).map(([name, flag]) => [name, { name, ...flag }])),
  }));
  return normaliseCommandSet(version, raw);
}
