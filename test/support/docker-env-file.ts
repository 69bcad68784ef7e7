// How `docker run --env-file` reads a file: one VAR=value per line, leading whitespace and `#` lines
// skipped, the value taken literally after the first `=` (no quote removal, no trimming, no
// expansion). Docker Compose and Node's parseEnv are dotenv parsers and differ exactly there.
export function parseDockerEnvFile(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.trimStart();
    if (!line || line.startsWith('#')) continue;
    const separator = line.indexOf('=');
    if (separator < 0) continue; // a bare name passes the caller's own variable through: nothing the file says
    const name = line.slice(0, separator);
    if (!name || /\s/.test(name)) throw new Error(`docker --env-file refuses the line "${raw}"`);
    variables[name] = line.slice(separator + 1);
  }
  return variables;
}
