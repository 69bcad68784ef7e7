// A fresh process that loads the stand-in as a warm child does (oclif, the bin's error handler,
// oclif's Config, every command module, a full GC, V8 compiling eagerly) and then runs the command
// in-process, three times: what is left of a call once nothing is loaded any more is the first
// run; the later ones are the floor (the JIT warm). No sandbox, no pipes, no process exit in it.
//   node --no-lazy --expose-gc bench/first-run.ts <api base url> <token>   → prints {"runs":[ms, ms, ms]}
import { loadStandInConfig } from './in-process-cli.ts';

const [apiBaseUrl, token] = process.argv.slice(2);
process.env.MITTWALD_API_BASE_URL = apiBaseUrl;
await import(new URL('../test/support/mw-cli/lib/handle-error.js', import.meta.url).href);
const config = await loadStandInConfig();
for (const command of config.commands) await command.load();
globalThis.gc!();
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write;
const runs: number[] = [];
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  await config.runCommand('project:list', ['--output', 'json', '--token', token]);
  runs.push(performance.now() - started);
}
write(`${JSON.stringify({ runs })}\n`);
