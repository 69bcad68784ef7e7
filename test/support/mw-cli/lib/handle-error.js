// What mw's bin/run.js does with an error that leaves oclif (a command's, a parse error, an unknown
// command): its error box on stdout and exit 1; an oclif exit keeps its code.
import { Errors } from '@oclif/core';
import { renderErrorBox } from './error-box.js';

export function handleError(error) {
  if (error instanceof Errors.ExitError) process.exit(error.oclif.exit);
  process.stdout.write(renderErrorBox(error), () => process.exit(1));
}
