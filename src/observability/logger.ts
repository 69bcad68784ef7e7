// winston: one JSON line per event (readable lines in development), every line carrying the id of
// the request it was written for, and nothing in it that could authenticate anyone.
import winston from 'winston';
import { errorFields, redact } from './redact.ts';
import { currentRequestId } from './request-scope.ts';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** where lines go; stdout when omitted */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(
      errorAsEvent(),
      withRequestId(),
      redactSecrets(),
      winston.format.timestamp(),
      options.format === 'json' ? winston.format.json() : prettyLine(),
    ),
    transports: [transport],
  });
}

// logger.error(error) hands winston the Error itself as the event: keep its stack and cause too.
const errorAsEvent = winston.format((info) => {
  if (!(info instanceof Error)) return info;
  const level = Symbol.for('level');
  const event = Object.assign(errorFields(info), { [level]: (info as unknown as Record<symbol, unknown>)[level] });
  return event as unknown as winston.Logform.TransformableInfo;
});

const withRequestId = winston.format((info) => {
  const requestId = currentRequestId();
  if (requestId && info.requestId === undefined) info.requestId = requestId;
  return info;
});

// Rewrites the string-keyed fields in place: winston keeps its own bookkeeping under symbol keys.
const redactSecrets = winston.format((info) => {
  const fields = info as Record<string, unknown>;
  const cleaned = redact({ ...fields }) as Record<string, unknown>;
  for (const key of Object.keys(fields)) delete fields[key];
  Object.assign(fields, cleaned);
  return info;
});

function prettyLine(): winston.Logform.Format {
  return winston.format.combine(
    winston.format.colorize({ level: true }),
    winston.format.printf((info) => {
      const { timestamp, level, message, requestId, stack, ...rest } = info as Record<string, unknown>;
      const context = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
      const request = requestId ? ` [${String(requestId)}]` : '';
      const trace = typeof stack === 'string' ? `\n${stack}` : '';
      return `${String(timestamp)} ${String(level)}${request} ${String(message)}${context}${trace}`;
    }),
  );
}
