#!/usr/bin/env node
// Starts as mw's bin/run.js does: oclif runs the command, then flush and exit; an error goes to mw's
// handler (loaded up front, and with it Ink and React). No top-level await: a command that never
// settles (a prompt waiting for keys) leaves an empty event loop, and the process ends as mw's would.
import oclif from '@oclif/core';
import { handleError } from '../lib/handle-error.js';

oclif
  .run(process.argv.slice(2), import.meta.url)
  .then(async () => {
    await oclif.flush();
    process.exit(0);
  })
  .catch(async (error) => {
    await handleError(error);
  });
