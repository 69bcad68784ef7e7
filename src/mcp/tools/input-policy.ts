// Which of a command's inputs a tool may offer. mw runs on the server, so an input naming a file,
// a directory or a program would name one of the server's (issue 9: `--message-from=/proc/…/environ`
// read the server's secrets back as a support message). Each input is decided in config/tools.json
// with its reason; an undecided input whose name or text sounds like a local file, path, program or
// ssh is not offered (fail closed) until the config says it is safe, and the catalogue warns about it.
// Secrets (passwords, tokens) are offered but marked, so they never reach logs, questions or command lines.
import type { CliArgument, CliCommand, CliFlag } from '../../cli/types.ts';
import { spacedId } from './command-policy.ts';
import type { DeclaredInputKind, ToolOverrides } from './overrides.ts';

/** What an input's value is; `unknown-local` is an undecided input that sounds like a local one. */
export type InputKind = DeclaredInputKind | 'unknown-local';

export interface InputDecision {
  kind: InputKind;
  /** the input may be part of a tool's schema */
  offered: boolean;
  reason: string;
  /** for an input that is not offered: mw never uses its default (config says so) */
  defaultNeverUsed?: string;
}

/** A flag or a positional argument, as the command metadata has it. */
export type CommandInput = { kind: 'flag'; flag: CliFlag } | { kind: 'argument'; arg: CliArgument };

/** "--name" for a flag, "<name>" for an argument: how config/tools.json names inputs. */
export function inputKey(input: CommandInput): string {
  return input.kind === 'flag' ? `--${input.flag.name}` : `<${input.arg.name}>`;
}

export function inputName(input: CommandInput): string {
  return input.kind === 'flag' ? input.flag.name : input.arg.name;
}

export function inputText(input: CommandInput): string {
  return input.kind === 'flag' ? [input.flag.summary, input.flag.description].filter(Boolean).join(' ') : (input.arg.description ?? '');
}

export function takesValue(input: CommandInput): boolean {
  return input.kind === 'argument' || input.flag.type === 'option';
}

/** A per-input setting of config/tools.json: the command's own entry first, then the one for every command. */
export function configuredFor<T>(map: Record<string, T>, commandId: string, key: string): T | undefined {
  return map[`${spacedId(commandId)} ${key}`] ?? map[key];
}

// Words of an input's name that mean it could name something on the machine running mw.
const LOCAL_NAME_WORDS = new Set([
  'file', 'files', 'filename', 'path', 'paths', 'dir', 'dirs', 'directory', 'directories', 'folder', 'cwd', 'workdir',
  'editor', 'program', 'exec', 'executable', 'command', 'cmd', 'entrypoint', 'script', 'shell', 'pager',
  'ssh', 'identity', 'source', 'target', 'dest', 'destination', 'input', 'output', 'from', 'local', 'config', 'manifest', 'stdin',
]);
const LOCAL_TEXT =
  /\b(local|file|files|filename|path|paths|directory|directories|folder|editor|program|executable|stdin|identity file|private key)\b|(["'`])-\2/i;
const SECRET_NAME_WORDS = new Set(['password', 'pass', 'passphrase', 'passwd', 'pwd', 'secret', 'token', 'credential', 'credentials']);
const SECRET_TEXT = /\b(password|passphrase|secret|credentials?)\b/i;

function nameWords(name: string): string[] {
  return name.toLowerCase().split(/[-_]/);
}

/** Why an undecided input sounds like a local one ('its name says "file"'), or undefined. Ids are ids. */
export function localLookalike(input: CommandInput): string | undefined {
  const words = nameWords(inputName(input));
  const word = words.at(-1) === 'id' ? undefined : words.find((w) => LOCAL_NAME_WORDS.has(w));
  if (word) return `its name says "${word}"`;
  const text = LOCAL_TEXT.exec(inputText(input));
  if (text) return `its description says "${text[0]}"`;
  return undefined;
}

/** A password-like value (not a boolean, not an id such as token-id). */
export function looksSecret(input: CommandInput): boolean {
  const words = nameWords(inputName(input));
  if (!takesValue(input) || words.at(-1) === 'id') return false;
  return words.some((w) => SECRET_NAME_WORDS.has(w)) || SECRET_TEXT.test(inputText(input));
}

export function decideInput(command: CliCommand, input: CommandInput, overrides: ToolOverrides): InputDecision {
  const declared = configuredFor(overrides.inputs, command.id, inputKey(input));
  if (declared) {
    return {
      kind: declared.kind,
      offered: declared.kind === 'plain' || declared.kind === 'secret',
      reason: declared.reason,
      ...(declared.defaultNeverUsed ? { defaultNeverUsed: declared.defaultNeverUsed } : {}),
    };
  }
  const lookalike = localLookalike(input);
  if (lookalike) {
    return {
      kind: 'unknown-local',
      offered: false,
      reason: `may name a file, directory or program on the server (${lookalike}); it is not offered until config/tools.json "inputs" says it is safe`,
    };
  }
  if (looksSecret(input)) return { kind: 'secret', offered: true, reason: 'its name or description says it is a password or secret' };
  return { kind: 'plain', offered: true, reason: 'a plain value' };
}
