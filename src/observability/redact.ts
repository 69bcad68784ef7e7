// Removes credentials from anything about to be logged: by key in structured data, by pattern in
// free text (URLs, form bodies, header dumps, error messages and stacks written by libraries).
// Precise on purpose: an error's `code: 'ECONNREFUSED'` or a request id is context, not a secret.

export const REDACTED = '[redacted]';

const MAX_DEPTH = 8;

// Keys whose values are credentials, after normalising camelCase and kebab-case to snake_case.
const SECRET_KEY_SUFFIX = /(?:token|secret|secrets|password|passwd|_pass|authorization|cookie|cookies|api_key|apikey|credential|credentials|private_key|encryption_key|encryption_keys|cookie_keys|jwks)$/;
const SECRET_KEY_EXACT = new Set(['pass', 'state', 'jti', 'code_verifier', 'assertion', 'client_assertion', 'id_token_hint']);
// Request ids are chosen by us or by the proxy (validated charset); they must stay readable for
// correlation even when they look like tokens (nginx's $request_id is 32 hex digits).
const VERBATIM_KEYS = new Set(['request_id']);

// Parameter names whose values are credentials in query strings, form bodies and `name=value` text.
const SECRET_PARAMS =
  'access_token|refresh_token|id_token|id_token_hint|token|subject_token|code|code_verifier|client_secret|client_assertion|assertion|password|passwd|secret|state|registration_access_token|api_key|apikey';

/** Error codes (`ECONNREFUSED`, `ERR_INVALID_URL`, `invalid_grant`, `404`) are context; anything else named `code` is an OAuth code. */
function looksLikeErrorCode(value: string): boolean {
  return value.length <= 40 && /^(?:[A-Z][A-Z0-9_]*|[a-z]+(?:_[a-z]+)*|\d{1,5})$/.test(value);
}

function normalisedKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[-\s]/g, '_').toLowerCase();
}

/** whether the value stored under `key` must not be logged */
export function isSecretKey(key: string, value?: unknown): boolean {
  const name = normalisedKey(key);
  if (name === 'code') return !(typeof value === 'number' || (typeof value === 'string' && looksLikeErrorCode(value)));
  return SECRET_KEY_EXACT.has(name) || SECRET_KEY_SUFFIX.test(name);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Opaque tokens (oidc-provider's 43-character values, mittwald tokens, hex secrets) are long runs
 * of base64url characters mixing letters and digits. UUIDs are identifiers and stay.
 */
function looksLikeOpaqueToken(run: string): boolean {
  return run.length >= 32 && /\d/.test(run) && /[A-Za-z]/.test(run) && !UUID.test(run);
}

type Replacer = (match: string, ...groups: string[]) => string;

/** `match` ends with the quoted `value`: keep the key and quotes, drop the value */
function withValueRedacted(match: string, value: string): string {
  return `${match.slice(0, match.length - value.length - 1)}${REDACTED}${match.slice(-1)}`;
}

const TEXT_RULES: Array<[RegExp, Replacer]> = [
  // JSON-looking text (a response body inside an error message): "key": "value"
  [/"([\w-]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/g, (match, key, value) => (isSecretKey(key, value) ? withValueRedacted(match, value) : match)],
  // inspected objects inside messages: key: 'value'
  [/(?<![\w-])'?([\w-]+)'?\s*:\s*'((?:[^'\\]|\\.)*)'/g, (match, key, value) => (isSecretKey(key, value) ? withValueRedacted(match, value) : match)],
  // JWTs, wherever they appear
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, () => REDACTED],
  // Authorization header values. Not credentials: `Bearer realm="..."` in a WWW-Authenticate
  // challenge, and a plain word after the scheme name in prose ("invalid bearer token").
  [/\b(Bearer|Basic|DPoP)(\s+)(?![\w-]+=")([\w.~+/:=-]+)/gi, (match, scheme, space, value) => (/^[a-z]+$/.test(value) ? match : `${scheme}${space}${REDACTED}`)],
  // header dumps: `cookie: a=b; c=d`, `x-access-token: ...`
  [/\b((?:set-)?cookie|x-access-token|proxy-authorization)(\s*:\s*)[^\r\n]+/gi, (_m, name, colon) => `${name}${colon}${REDACTED}`],
  // passwords in URLs: redis://:secret@host, https://user:secret@host
  [/\b([a-z][a-z\d+.-]*:\/\/[^:/?#\s@]*:)[^@/?#\s]+@/gi, (_m, prefix) => `${prefix}${REDACTED}@`],
  // query strings and form bodies: ?code=...&state=..., grant_type=...&refresh_token=...
  [new RegExp(`([?&#;]|%3F|%26)(${SECRET_PARAMS})(=|%3D)[^&\\s"'#;,]+`, 'gi'), (_m, sep, name, eq) => `${sep}${name}${eq}${REDACTED}`],
  // name=value text elsewhere (log messages, command lines); an error code named `code` stays
  [
    new RegExp(`(^|[\\s,("'])(${SECRET_PARAMS})=([^&\\s"'#;,)]+)`, 'gi'),
    (match, before, name, value) => (name.toLowerCase() === 'code' && looksLikeErrorCode(value) ? match : `${before}${name}=${REDACTED}`),
  ],
  // environment assignments: MITTWALD_API_TOKEN=..., TOKEN_ENCRYPTION_KEY=..., METRICS_PASS=...
  [/\b([A-Z][A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASS|KEY|KEYS|JWKS)=)\S+/g, (_m, name) => `${name}${REDACTED}`],
  // command-line flags: --token abc, --password=abc
  [/(--(?:token|access-token|api-token|password|secret|client-secret|api-key)(?:=|\s+))\S+/gi, (_m, flag) => `${flag}${REDACTED}`],
  // bare opaque tokens in prose ("refresh failed for 3kX9...")
  [/(?<![\w-])[\w-]{32,}(?![\w-])/g, (run) => (looksLikeOpaqueToken(run) ? REDACTED : run)],
];

export function redactText(text: string): string {
  return TEXT_RULES.reduce((out, [pattern, replace]) => out.replace(pattern, replace as (m: string) => string), text);
}

/** A copy of `value` that is safe to log. Errors become plain objects with redacted message and stack. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new WeakSet());
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  const source = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(source)) {
    if (typeof field === 'string' && VERBATIM_KEYS.has(normalisedKey(key))) out[key] = field;
    else if (field !== undefined && field !== null && typeof field !== 'boolean' && isSecretKey(key, field)) out[key] = REDACTED;
    else out[key] = redactValue(field, depth + 1, seen);
  }
  return out;
}

/** An error's fields as a plain object: message, stack and cause are not enumerable, the library's own fields (code, errno, ...) are. */
export function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...error, name: error.name, message: error.message };
  if (error.stack) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = error.cause;
  if (error instanceof AggregateError) fields.errors = error.errors;
  return fields;
}
