// The stand-in has every command of the real mw (mw-surface.json) with the real args and flags, read
// the way the server reads an installed CLI (Config.load in a child process); commands the API
// simulator does not serve fail clearly, the way mw reports errors.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { standInCliRoot } from '../support/mw-cli/index.ts';
import { readMwSurface, type SurfaceFlag } from '../support/mw-surface.ts';
import { makeConfigDir, runStandIn } from './run-stand-in.ts';

interface CachedFlag {
  type: string;
  char?: string;
  required?: boolean;
  multiple?: boolean;
  allowNo?: boolean;
  default?: unknown;
  helpGroup?: string;
  options?: string[];
  exclusive?: string[];
}
interface CachedCommand {
  id: string;
  aliases: string[];
  strict?: boolean;
  summary?: string;
  args: Record<string, { name: string; required?: boolean; default?: unknown; options?: string[] }>;
  flags: Record<string, CachedFlag>;
}

const printMetadata = fileURLToPath(new URL('../../src/cli/print-command-metadata.ts', import.meta.url));
const surface = readMwSurface();
let commands: Map<string, CachedCommand>;
let api: MittwaldApiSimulator;

/** what a flag looks like once oclif has read it, in the surface's terms */
const asSurfaceSees = (flag: CachedFlag): Partial<SurfaceFlag> =>
  Object.fromEntries(
    Object.entries({
      type: flag.type,
      char: flag.char,
      required: flag.required ?? false,
      multiple: flag.multiple ?? false,
      allowNo: flag.type === 'boolean' ? (flag.allowNo ?? false) : undefined,
      default: flag.default,
      helpGroup: flag.helpGroup,
      options: flag.options,
      exclusive: flag.exclusive?.length ? flag.exclusive : undefined,
    }).filter(([, value]) => value !== undefined),
  );

const withoutAnnotations = ({ contextDefault: _c, kind: _k, ...flag }: SurfaceFlag): Partial<SurfaceFlag> => ({
  ...flag,
  ...(flag.type === 'boolean' && { allowNo: flag.allowNo ?? false }),
});

beforeAll(async () => {
  const output = execFileSync(process.execPath, [printMetadata, standInCliRoot], { env: { PATH: process.env.PATH ?? '' }, maxBuffer: 64 * 1024 * 1024 });
  const loaded = JSON.parse(output.toString()) as { commands: CachedCommand[] };
  commands = new Map(loaded.commands.map((command) => [command.id, command]));
  api = await startMittwaldApiSimulator();
  api.grantToken('t', api.users[0].userId);
});

afterAll(async () => {
  await api.close();
});

describe('the stand-in’s commands are the real mw’s', () => {
  it('has all 192 commands of the surface, and only its plugins’ and the stand-in fault commands besides (and aliases)', () => {
    expect(surface).toHaveLength(192);
    const aliases = new Set(surface.flatMap((command) => command.aliases));
    const extra = [...commands.keys()].filter((id) => !aliases.has(id) && !surface.some((command) => command.id === id));
    // help, update and autocomplete come from the oclif plugins mw loads, as in mw
    const pluginCommands = ['autocomplete', 'autocomplete:create', 'autocomplete:script', 'help', 'update'];
    expect(extra.sort()).toEqual([...pluginCommands, 'stand-in:allocate', 'stand-in:crash', 'stand-in:flood', 'stand-in:hang'].sort());
    for (const command of surface) expect(commands.has(command.id)).toBe(true);
  });

  it('each command has exactly the real flags (type, char, required, multiple, options, default, allowNo, helpGroup, exclusive) and args', () => {
    for (const real of surface) {
      const standIn = commands.get(real.id)!;
      const flags = Object.fromEntries(Object.entries(standIn.flags).map(([name, flag]) => [name, asSurfaceSees(flag)]));
      expect({ id: real.id, flags }).toEqual({ id: real.id, flags: Object.fromEntries(Object.entries(real.flags).map(([name, flag]) => [name, withoutAnnotations(flag)])) });
      expect({ id: real.id, args: Object.keys(standIn.args) }).toEqual({ id: real.id, args: real.args.map((arg) => arg.name) });
      for (const arg of real.args) expect({ id: real.id, arg: arg.name, required: standIn.args[arg.name].required ?? false }).toEqual({ id: real.id, arg: arg.name, required: arg.required });
      expect({ id: real.id, aliases: standIn.aliases }).toEqual({ id: real.id, aliases: real.aliases });
    }
  });

  it('a variadic last argument takes the rest of argv (container run IMAGE [COMMAND] [ARGS...])', () => {
    expect(commands.get('container:run')!.strict).toBe(false);
    expect(commands.get('project:list')!.strict).not.toBe(false);
  });
});

describe('a command the API simulator does not serve', () => {
  it('parses its input as mw would, then ends with exit 1 and an error box naming the command, without an API call', async () => {
    api.clearRequests();
    const env = { MITTWALD_API_BASE_URL: api.url, MITTWALD_API_TOKEN: 't', MW_CONFIG_DIR: await makeConfigDir() };
    const result = await runStandIn(['domain', 'virtualhost', 'list', '--all', '-o', 'json'], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^╭─+╮\n│ ERROR +│\n│ The stand-in mw does not implement "mw domain virtualhost list": the API simulator does not serve it\. │\n╰─+╯\n$/);
    expect(api.requests).toEqual([]);

    const badFlag = await runStandIn(['domain', 'virtualhost', 'list', '--no-such-flag'], env);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stdout).toContain('Nonexistent flag: --no-such-flag');
  });

  it('is listed as such in its summary, so the catalogue built from the stand-in says so too', () => {
    expect(commands.get('app:ssh')!.summary).toBe('mw app ssh (not served by the stand-in)');
    expect(commands.get('project:list')!.summary).toBe('List all projects that you have access to');
  });
});
