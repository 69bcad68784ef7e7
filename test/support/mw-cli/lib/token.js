// The API token with mw's precedence: --token, then MITTWALD_API_TOKEN (trimmed; an empty value is used,
// not skipped), then <configDir>/token.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export class MissingTokenError extends Error {
  constructor(tokenFile) {
    super(
      `Could not find an API token: pass --token, set MITTWALD_API_TOKEN, or store one in ${tokenFile} (mw login token).`,
    );
    this.name = 'MissingTokenError';
  }
}

export async function resolveApiToken(flagToken, env, configDir) {
  if (flagToken) return flagToken;
  if (env.MITTWALD_API_TOKEN !== undefined) return env.MITTWALD_API_TOKEN.trim();
  const tokenFile = path.join(configDir, 'token');
  try {
    return (await readFile(tokenFile, 'utf8')).trim();
  } catch (error) {
    if (error.code === 'ENOENT') throw new MissingTokenError(tokenFile);
    throw error;
  }
}
