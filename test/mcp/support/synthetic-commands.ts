// The project's mw 1.13 command inventory (test/mcp/fixtures/mw-commands.tsv: how a server should
// expose each command, written independently of the catalogue; the catalogue tests check the real
// surface against it), and a CliCommandSet synthesised from its 177 ids with plausible flags, which
// the HTTP-layer tests still use as their fake CLI: list and get commands have a json output,
// creates have --quiet, deletes --force and --quiet, project-scoped topics have --project-id, and
// every command inherits the --token base flag. The catalogue's own tests use the real surface.
import { readFileSync } from 'node:fs';
import type { CliCommand, CliCommandSet, CliFlag } from '../../../src/cli/types.ts';

export interface InventoryRow {
  id: string; // spaced, "database mysql create"
  serverUse: 'tool' | 'connection-info' | 'local-input' | 'exclude';
}

export function readInventory(): InventoryRow[] {
  const text = readFileSync(new URL('../fixtures/mw-commands.tsv', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('command\t'))
    .map((line) => {
      const [id, serverUse] = line.split('\t');
      return { id, serverUse: serverUse as InventoryRow['serverUse'] };
    });
}

const PROJECT_SCOPED = new Set(['app', 'backup', 'cronjob', 'database', 'mail', 'container', 'stack', 'volume', 'registry', 'sftp-user', 'ssh-user', 'domain']);
const TAKES_ID = new Set(['get', 'delete', 'update', 'uninstall', 'revoke', 'ssh', 'show', 'close', 'reply', 'execute', 'upgrade', 'copy', 'open', 'dump', 'import', 'shell', 'port-forward', 'phpmyadmin', 'download', 'restart', 'start', 'stop', 'recreate', 'logs']);

const flag = (name: string, props: Partial<CliFlag>): CliFlag => ({
  name,
  type: 'option',
  required: false,
  multiple: false,
  ...props,
});

function flagsFor(words: string[]): Record<string, CliFlag> {
  const verb = words.at(-1)!;
  const flags: Record<string, CliFlag> = {
    token: flag('token', { helpGroup: 'AUTHENTICATION', summary: 'API token to use for authentication' }),
  };
  if (verb.startsWith('list') || verb === 'versions' || verb === 'charsets' || verb === 'categories') {
    flags.output = flag('output', { char: 'o', required: true, default: 'txt', options: ['txt', 'json', 'yaml', 'csv', 'tsv'], summary: 'output in a more machine friendly format' });
    flags.extended = flag('extended', { type: 'boolean', char: 'x', allowNo: false, summary: 'show extended information' });
    flags['no-header'] = flag('no-header', { type: 'boolean', allowNo: false });
  } else if (verb === 'get' || verb === 'show') {
    flags.output = flag('output', { char: 'o', required: true, default: 'txt', options: ['txt', 'json', 'yaml'] });
  } else if (verb === 'create' || words[1] === 'install') {
    flags.quiet = flag('quiet', { type: 'boolean', char: 'q', allowNo: false, summary: 'suppress process output and only display a machine-readable summary' });
    flags.description = flag('description', { required: words[0] === 'project', summary: 'a description' });
    flags.wait = flag('wait', { type: 'boolean', char: 'w', allowNo: false });
  } else if (['delete', 'uninstall', 'revoke'].includes(verb)) {
    flags.quiet = flag('quiet', { type: 'boolean', char: 'q', allowNo: false });
    flags.force = flag('force', { type: 'boolean', char: 'f', allowNo: false, summary: 'do not ask for confirmation' });
  } else if (verb === 'download' || verb === 'dump') {
    flags.output = flag('output', { char: 'o', required: verb === 'dump', summary: 'the file to write to' });
  }
  if (PROJECT_SCOPED.has(words[0])) flags['project-id'] = flag('project-id', { char: 'p', summary: 'ID or short ID of a project' });
  if (verb === 'update') flags.enable = flag('enable', { type: 'boolean', allowNo: true, summary: 'enable or disable' });
  if (verb === 'create' && words[0] === 'mail') flags['forward-address'] = flag('forward-address', { multiple: true, delimiter: ',' });
  if (verb === 'logs') flags['no-pager'] = flag('no-pager', { type: 'boolean', allowNo: false });
  return flags;
}

export function synthesizeCommand(spacedId: string): CliCommand {
  const words = spacedId.split(' ');
  const verb = words.at(-1)!;
  const noun = (words.length > 1 ? words.at(-2)! : words[0]).replace(/s$/, '');
  return {
    id: words.join(':'),
    summary: `${verb} ${words.slice(0, -1).join(' ')}`,
    hidden: false,
    aliases: [],
    args: TAKES_ID.has(verb) ? [{ name: `${noun}-id`, description: `ID of the ${noun}`, required: verb !== 'get' || words[0] !== 'user' }] : [],
    flags: flagsFor(words),
  };
}

export function synthesizeCommandSet(): CliCommandSet {
  const commands = readInventory().map((row) => synthesizeCommand(row.id));
  // The plugin commands every mw install has, and one hidden command.
  commands.push(
    { id: 'help', hidden: false, aliases: [], args: [{ name: 'command', required: false }], flags: {} },
    { id: 'update', hidden: false, aliases: [], args: [], flags: {} },
    { id: 'autocomplete', hidden: false, aliases: [], args: [], flags: {} },
    { ...synthesizeCommand('project secret-thing list'), hidden: true },
  );
  return { cliVersion: '1.13.3', commands };
}
