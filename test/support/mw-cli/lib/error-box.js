// mw draws errors as a human-readable box on stdout (never JSON); callers should rely on the exit code.
import { ApiResponseError } from './api.js';

const STATUS_TEXT = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

function describe(error) {
  if (error instanceof ApiResponseError) {
    const lines = [
      `API ERROR ${error.status} ${STATUS_TEXT[error.status] ?? ''}`.trimEnd(),
      'The mittwald API rejected a request:',
      error.message,
    ];
    if (error.status === 403) lines.push('You do not have permission to access this resource.');
    if (error.status === 401) lines.push('Your API token is missing, invalid or expired.');
    for (const issue of error.validationErrors ?? []) lines.push(`  - ${issue.path}: ${issue.message}`);
    return lines;
  }
  if (error?.isAxiosError && !error.response) {
    return ['CONNECTION ERROR', `Could not reach the mittwald API (${error.code ?? 'unknown'}): ${error.message}`];
  }
  return ['ERROR', String(error?.message ?? error)];
}

export function renderErrorBox(error) {
  const lines = describe(error).flatMap((line) => line.split('\n'));
  const width = Math.max(...lines.map((line) => line.length));
  const border = '─'.repeat(width + 2);
  return [`╭${border}╮`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `╰${border}╯`, ''].join('\n');
}
