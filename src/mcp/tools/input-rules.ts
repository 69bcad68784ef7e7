// Combinations of inputs as JSON Schema, so that a call the schema accepts is one mw can run without
// asking anything (its stdin is closed: a question ends in "no interactive input available" or is
// answered yes on the user's behalf). The rules come from the CLI metadata (exclusive, dependsOn), from
// the context ids a server must pass, and from config/tools.json (what mw's code does when an input
// is missing). Each rule carries its reason: it goes into the tool description and the error text.
import type { CliFlag } from '../../cli/types.ts';
import type { InputRule } from './overrides.ts';

type Schema = Record<string, unknown>;

/** One input a rule names, as the tool offers it. */
export interface RuleMember {
  key: string;
  property: string;
  /** matches when the input ends up in argv */
  present: Schema;
  /** "present" is just "the property is set" (dependentRequired and required can say it) */
  plain: boolean;
}

/** How a rule's input name ("--password", "<arg>") is offered by this tool. */
export type ResolveMember = (key: string) => RuleMember | 'not-offered' | undefined;

export interface CompiledRules {
  required: string[];
  dependentRequired: Record<string, string[]>;
  allOf: Schema[];
  /** one sentence per rule, for the tool description */
  notes: string[];
  /** rules the offered inputs cannot meet: the command cannot be a tool */
  unsatisfiable: string[];
  /** input names a rule uses that the command does not have */
  unknownInputs: string[];
}

/** When an input reaches argv: whenever it is set, only when true (a boolean without --no- form), only with items (a list). */
export type Presence = 'set' | 'true' | 'items';

export function presenceOf(flag: CliFlag): Presence {
  if (flag.type === 'boolean') return flag.allowNo ? 'set' : 'true';
  return flag.multiple ? 'items' : 'set';
}

/** The rule member for an offered input: when it counts as present, and whether that is just "set". */
export function ruleMember(key: string, property: string, presence: Presence): RuleMember {
  if (presence === 'true') return { key, property, present: { required: [property], properties: { [property]: { const: true } } }, plain: false };
  if (presence === 'items') return { key, property, present: { required: [property], properties: { [property]: { minItems: 1 } } }, plain: false };
  return { key, property, present: { required: [property] }, plain: true };
}

function list(members: RuleMember[], conjunction: string): string {
  const names = members.map((m) => m.property);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${conjunction} ${names.at(-1)}`;
}

export function compileInputRules(rules: InputRule[], resolve: ResolveMember): CompiledRules {
  const out: CompiledRules = { required: [], dependentRequired: {}, allOf: [], notes: [], unsatisfiable: [], unknownInputs: [] };
  const seenNotes = new Set<string>();
  const note = (text: string) => {
    if (!seenNotes.has(text)) out.notes.push(text);
    seenNotes.add(text);
  };

  for (const rule of rules) {
    const named = rule.when ? [rule.when] : [];
    const group = rule.require ?? rule.atLeastOne ?? rule.exactlyOne ?? rule.exclusive ?? [];
    const resolved = [...named, ...group].map((key) => ({ key, member: resolve(key) }));
    const unknown = resolved.filter((r) => r.member === undefined).map((r) => r.key);
    if (unknown.length) {
      out.unknownInputs.push(...unknown);
      continue;
    }
    const offered = (keys: string[]) =>
      keys.map((key) => resolve(key)).filter((m): m is RuleMember => typeof m === 'object');

    if (rule.when) {
      const when = resolve(rule.when);
      if (typeof when !== 'object') continue; // never given, so the rule never applies
      const then = offered(rule.require!);
      const missing = rule.require!.filter((key) => typeof resolve(key) !== 'object');
      if (missing.length) {
        out.unsatisfiable.push(`${rule.when} needs ${missing.join(', ')}, which the tool does not offer (${rule.reason})`);
        continue;
      }
      const description = `${when.property} needs ${list(then, 'and')}: ${rule.reason}`;
      if (when.plain && then.every((m) => m.plain)) {
        out.dependentRequired[when.property] = [...(out.dependentRequired[when.property] ?? []), ...then.map((m) => m.property)];
      } else {
        out.allOf.push({ description, if: when.present, then: { allOf: then.map((m) => m.present) } });
      }
      note(`Give ${list(then, 'and')} with ${when.property}: ${rule.reason}`);
      continue;
    }

    const members = offered(group);
    if (rule.require) {
      const missing = group.filter((key) => typeof resolve(key) !== 'object');
      if (missing.length) {
        out.unsatisfiable.push(`it needs ${missing.join(', ')}, which the tool does not offer (${rule.reason})`);
        continue;
      }
      for (const member of members) {
        if (member.plain) out.required.push(member.property);
        else out.allOf.push({ description: `${member.property} is needed: ${rule.reason}`, ...member.present });
      }
      note(`${list(members, 'and')} ${members.length > 1 ? 'are' : 'is'} required: ${rule.reason}`);
      continue;
    }
    if (rule.exclusive) {
      if (members.length < 2) continue;
      const pairs: Schema[] = [];
      members.forEach((a, i) => members.slice(i + 1).forEach((b) => pairs.push({ allOf: [a.present, b.present] })));
      const description = `${list(members, 'and')} cannot be combined: ${rule.reason}`;
      out.allOf.push({ description, not: pairs.length === 1 ? pairs[0] : { anyOf: pairs } });
      note(`Give at most one of ${list(members, 'or')}: ${rule.reason}`);
      continue;
    }
    if (members.length === 0) {
      out.unsatisfiable.push(`it needs one of ${group.join(', ')}, none of which the tool offers (${rule.reason})`);
      continue;
    }
    const exactly = rule.exactlyOne !== undefined;
    if (members.length === 1 && members[0].plain) {
      out.required.push(members[0].property);
      note(`${members[0].property} is required: ${rule.reason}`);
      continue;
    }
    const description = `give ${exactly ? 'exactly' : 'at least'} one of ${list(members, 'or')}: ${rule.reason}`;
    out.allOf.push({ description, [exactly ? 'oneOf' : 'anyOf']: members.map((m) => m.present) });
    note(`Give ${exactly ? 'exactly' : 'at least'} one of ${list(members, 'or')}: ${rule.reason}`);
  }
  out.required = [...new Set(out.required)];
  return out;
}
