// Preload (node --import) that records every module a process loads (ESM, CommonJS and JSON, each
// file once) and writes the list to $MODULE_COUNTER_FILE at exit: how the stand-in's start is
// compared with the real mw's module count.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith('node:')) loaded.add(url);
    return nextLoad(url, context);
  },
});

process.on('exit', () => {
  const file = process.env.MODULE_COUNTER_FILE;
  if (file) writeFileSync(file, JSON.stringify([...loaded]));
});
