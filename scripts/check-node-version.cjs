// Preloaded by `npm start`, `npm run sandbox` and `npm run bench` (node --require), run first by
// `npm test`: on a Node older than 24, one line that says which Node is needed and where to get it,
// instead of the stack trace the .ts entry points end in there. Plain CommonJS that old Nodes still
// parse, and no file read (package.json's engines, .nvmrc and .node-version name the same major,
// test/node-version.test.ts checks): nothing here may slow a normal start.
'use strict';
var NEEDED_MAJOR = 24;
var found = process.versions.node;
if (Number(found.split('.')[0]) < NEEDED_MAJOR) {
  process.stderr.write(
    'mittwald-mcp needs Node.js ' + NEEDED_MAJOR + ' or newer, this is Node.js ' + found + ' (' + process.execPath + '): ' +
      'run "nvm install" or "fnm use --install-if-missing" here (both read .nvmrc), ' +
      'or run the Docker image (README, "Running with Docker Compose")\n'
  );
  process.exit(1);
}
