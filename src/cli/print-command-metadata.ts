// Child process of command-metadata.ts: lets the CLI's own @oclif/core load the CLI the way `mw`
// starts (importing every command module unless a manifest is fresh) and prints the cached
// metadata of all commands, plugins included, as JSON on stdout. Runs apart from the server because
// those imports cost time and memory and may have side effects.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: print-command-metadata.ts <cli-root>\n');
  process.exit(2);
}

// Resolved from the CLI's root so the CLI's own oclif version reads its commands.
const oclifEntry = createRequire(join(root, 'package.json')).resolve('@oclif/core');
const oclif = (await import(pathToFileURL(oclifEntry).href)) as typeof import('@oclif/core');
// User-installed and development plugins are not part of the CLI the server runs.
const config = await oclif.Config.load({ root, userPlugins: false, devPlugins: false });
process.stdout.write(JSON.stringify({ version: config.version, commands: config.commands }), () => process.exit(0));
