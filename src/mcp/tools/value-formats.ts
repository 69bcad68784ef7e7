// The value formats of mw's own flag parsers as JSON Schema patterns, so a model gets a clear error
// from us instead of a failed run. mw reads durations with the parse-duration package ("600s",
// "30d", "1h 30m"; a bare number would mean milliseconds, so we ask for a unit), byte sizes with
// its ByteQuantity (a byte count, or a number with Ki/Mi/Gi), and passes container limits on in
// docker's format ("512m", "0.5").
import type { CliFlag } from '../../cli/types.ts';
import type { ValueFormat } from './overrides.ts';

export type { ValueFormat };

/** parse-duration's English units worth offering, in milliseconds; the plural "s" is optional */
const DURATION_UNITS: [RegExp, number][] = [
  [/^(ms|milliseconds?)$/, 1],
  [/^(s|secs?|seconds?)$/, 1000],
  [/^(m|mins?|minutes?)$/, 60_000],
  [/^(h|hrs?|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|wks?|weeks?)$/, 604_800_000],
  [/^(mo|months?)$/, 2_629_800_000],
  [/^(y|yrs?|years?)$/, 31_557_600_000],
];
/** any of those units (`^(ms|milliseconds?)$` → `ms|milliseconds?`), not followed by another letter */
const UNIT = `(?:${DURATION_UNITS.map(([unit]) => unit.source.slice(2, -2)).join('|')})(?![a-z])`;
const DURATION_PART = `[0-9]{1,9}(?:\\.[0-9]{1,6})? ?${UNIT}`;

export const VALUE_PATTERNS: Record<ValueFormat, string> = {
  duration: `^(?:${DURATION_PART} ?)+$`,
  'byte-size': '^[0-9]{1,15}(?:[KkMmGg][Ii])?$',
  'docker-size': '^[0-9]{1,12}(?:\\.[0-9]{1,6})?[bkmgBKMG]?$',
  integer: '^[0-9]{1,15}$',
  decimal: '^[0-9]{1,9}(?:\\.[0-9]{1,6})?$',
  'key-value': '^[^=\\s\\u0000][^=\\u0000]*=[^\\u0000]*$',
};

const FORMAT_HINTS: Record<ValueFormat, string> = {
  duration: 'a duration with a unit, e.g. "90s", "10m", "1h 30m", "30d"',
  'byte-size': 'a size: a number of bytes, or a number with Ki, Mi or Gi, e.g. "512Mi", "2Gi"',
  'docker-size': 'a size as docker takes it, e.g. "512m", "1g"',
  integer: 'a whole number, e.g. "3600"',
  decimal: 'a number, e.g. "0.5", "2"',
  'key-value': 'NAME=VALUE',
};

/** What a value of this format looks like, for descriptions and error texts. */
export function formatHint(format: ValueFormat): string {
  return FORMAT_HINTS[format];
}

/** The format whose pattern this is (for error texts), if it is one of ours (perhaps behind a lookahead). */
export function formatOfPattern(pattern: string): ValueFormat | undefined {
  return (Object.keys(VALUE_PATTERNS) as ValueFormat[]).find((format) => pattern.endsWith(VALUE_PATTERNS[format].slice(1)));
}

const DURATION = new RegExp(VALUE_PATTERNS.duration);
const DURATION_PARTS = new RegExp(`([0-9]+(?:\\.[0-9]+)?) ?([a-z]+)`, 'g');

/** A duration in mw's format as seconds; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let milliseconds = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PARTS)) {
    milliseconds += Number(amount) * DURATION_UNITS.find(([name]) => name.test(unit))![1];
  }
  return milliseconds / 1000;
}

const DESCRIBES_DURATION = /\b(duration|interval after which)\b|e\.g\. '?\d+[smhd]'?|examples?: \d+[smhd]\b/i;
const DESCRIBES_IEC_SIZE = /\bIEC\b|"Ki", "Mi"/i;

/**
 * The format of a flag's value from its metadata: the configured one, else what its default or
 * its text shows (a "600s" default is a duration, a numeric default an integer).
 */
export function deriveValueFormat(flag: CliFlag, configured: ValueFormat | undefined): ValueFormat | undefined {
  if (configured) return configured;
  if (flag.type !== 'option' || flag.options?.length) return undefined;
  if (typeof flag.default === 'number' && Number.isInteger(flag.default)) return 'integer';
  if (typeof flag.default === 'string' && DURATION.test(flag.default)) return 'duration';
  const text = `${flag.summary ?? ''} ${flag.description ?? ''}`;
  if (/\bin (mebi|kibi|gibi)bytes\b/i.test(text)) return 'integer';
  if (DESCRIBES_IEC_SIZE.test(text)) return 'byte-size';
  if (DESCRIBES_DURATION.test(text)) return 'duration';
  return undefined;
}
