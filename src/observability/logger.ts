// winston JSON logs (readable lines in development) with secrets redacted everywhere,
// including inside error messages thrown by libraries.
import winston from 'winston';

export type Logger = winston.Logger;

const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|access_token|refresh_token|id_token|code|code_verifier|client_secret|password|pass|secret|registration_access_token|mittwald_api_token|x-access-token|assertion)$/i;

// Values that look like secrets wherever they appear inside a string.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(bearer|basic)\s+[\w.~+/=-]+/gi, '$1 [redacted]'],
  [/((?:access_token|refresh_token|id_token|code|code_verifier|client_secret|token|state|password|registration_access_token)=)[^&\s"']+/gi, '$1[redacted]'],
  [/("(?:access_token|refresh_token|id_token|code|code_verifier|client_secret|token|password|registration_access_token)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
  [/(MITTWALD_API_TOKEN=|--token[= ])\S+/g, '$1[redacted]'],
];

export function redactText(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), ...(redact({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) && v !== undefined && v !== null ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  const cleaned = redact({ ...info }) as winston.Logform.TransformableInfo;
  for (const key of Object.keys(info)) delete info[key];
  return Object.assign(info, cleaned);
});

export function createLogger(options: { level: string; format: 'json' | 'pretty'; stream?: NodeJS.WritableStream }): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.colorize(), winston.format.simple());
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({ level: options.level, format, transports: [transport] });
}
