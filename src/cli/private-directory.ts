// Shared cache directories (command metadata, V8 compile cache) usually live under the world-writable
// temp dir. Whatever is in them shapes the tools or runs as code in `mw` children, so they are used
// only when this process's user owns them and no one else can write to them.
import { mkdir, stat } from 'node:fs/promises';

/** Creates `dir` with mode 0700 if needed; false when an existing directory is not safely ours. */
export async function ensurePrivateDirectory(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    return info.isDirectory() && info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
