// `container run|update` environment: --env KEY=VALUE flags, then every --env-file read whole
// (KEY=VALUE lines, # comments), later files winning, as mw does.
import { access, readFile } from 'node:fs/promises';

function parseEnvFlags(envFlags) {
  return Object.fromEntries(
    envFlags.map((entry) => {
      const index = entry.indexOf('=');
      if (index < 0) throw new Error(`Invalid environment variable format: ${entry}`);
      return [entry.slice(0, index), entry.slice(index + 1)];
    }),
  );
}

function parseEnvFile(content) {
  const variables = {};
  for (const line of content.split(/\r?\n/)) {
    const trimmed = line.trim();
    const index = trimmed.indexOf('=');
    if (trimmed === '' || trimmed.startsWith('#') || index < 1) continue;
    variables[trimmed.slice(0, index).trim()] = trimmed.slice(index + 1).trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return variables;
}

export async function parseEnvironmentVariables(envFlags = [], envFiles = []) {
  const result = parseEnvFlags(envFlags);
  for (const envFile of envFiles) {
    try {
      await access(envFile);
    } catch {
      throw new Error(`Env file not found: ${envFile}`);
    }
    Object.assign(result, parseEnvFile(await readFile(envFile, { encoding: 'utf-8' })));
  }
  return result;
}
