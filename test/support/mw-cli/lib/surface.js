// The real mw's command surface (data/mw-surface.json) as oclif definitions: every stand-in command
// takes its args and flags from here, so they cannot drift from the real CLI's. The surface has no
// help texts; commands add their own, and common flags get theirs from flag-texts.js.
import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { ARG_TEXTS, FLAG_TEXTS } from './flag-texts.js';

const surface = JSON.parse(readFileSync(new URL('../data/mw-surface.json', import.meta.url), 'utf8'));

export const surfaceCommands = surface.commands;

const commandsById = new Map(surfaceCommands.map((command) => [command.id, command]));

export function surfaceCommand(id) {
  const command = commandsById.get(id);
  if (!command) throw new Error(`stand-in: ${id} is not a command of the real mw (data/mw-surface.json)`);
  return command;
}

/** drops unset keys, so a cached manifest shows what the real one would */
const defined = (object) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

function oclifFlag(name, spec, text) {
  const common = defined({
    char: spec.char,
    required: spec.required,
    multiple: spec.multiple,
    default: spec.default,
    helpGroup: spec.helpGroup,
    exclusive: spec.exclusive,
    ...FLAG_TEXTS[name],
    ...text,
  });
  if (spec.type === 'boolean') return Flags.boolean(defined({ ...common, allowNo: spec.allowNo }));
  return Flags.string(defined({ ...common, options: spec.options }));
}

function oclifArg(spec, text) {
  return Args.string(defined({ required: spec.required, default: spec.default, options: spec.options, ...ARG_TEXTS[spec.name], ...text }));
}

/**
 * { args, baseFlags, flags, aliases, strict } of the real command `id` (colon-separated), ready to
 * assign to a Command class. `token` is a base flag, as in mw's BaseCommand. texts: per flag or
 * arg name, { summary, description, env } to show in help (and in the catalogue built from it).
 */
export function fromSurface(id, texts = {}) {
  const command = surfaceCommand(id);
  const flags = {};
  const baseFlags = {};
  for (const [name, spec] of Object.entries(command.flags)) {
    (name === 'token' ? baseFlags : flags)[name] = oclifFlag(name, spec, texts[name]);
  }
  const args = Object.fromEntries(command.args.map((spec) => [spec.name, oclifArg(spec, texts[spec.name])]));
  // A variadic last argument (container run's ARGS...) takes the rest of argv, as it does in mw.
  const strict = !command.args.some((spec) => spec.variadic);
  return { args, baseFlags, flags, aliases: command.aliases, strict };
}
