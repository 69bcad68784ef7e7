// mw draws errors as a human-readable box on stdout (never JSON), rendered with Ink like mw's
// ErrorBox; callers should rely on the exit code. Rendered into a buffer with the very wide
// terminal mw sets for non-TTY output, so the box never wraps and carries no terminal escapes.
import { Writable } from 'node:stream';
import { Box, render, Text } from 'ink';
import React from 'react';
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
  let lastFrame = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      // under CI=1 Ink also writes its (empty, in debug mode) last output at unmount
      if (chunk.toString().trim() !== '') lastFrame = chunk.toString();
      done();
    },
  });
  sink.columns = 100_000;
  const box = React.createElement(
    Box,
    { borderStyle: 'round', flexDirection: 'column', paddingX: 1, alignSelf: 'flex-start' },
    ...lines.map((line, i) => React.createElement(Text, { key: i }, line)),
  );
  // debug mode writes each frame whole (no cursor moves); the last one is the box
  render(box, { stdout: sink, debug: true, patchConsole: false, exitOnCtrlC: false }).unmount();
  return `${lastFrame}\n`;
}
