#!/usr/bin/env node
// Starts as mw's bin/run.js does: oclif runs the command; the error handler (and with it Ink and
// React) is loaded up front.
import { flush, run } from '@oclif/core';
import { handleError } from '../lib/handle-error.js';

try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
  process.exit(0);
} catch (error) {
  handleError(error);
}
