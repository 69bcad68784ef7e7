// Runs as the uid of a finished (or to be stopped) child, with that uid's rights only, so the
// launcher needs no CAP_KILL or CAP_DAC_OVERRIDE to clean up after a hostile child:
//   uid-cleanup.mts kill <SIGTERM|SIGKILL>     signal every process of this uid
//   uid-cleanup.mts clean <call directory>     kill them all, then remove what the uid left behind:
//                                              the call directory's content and its own entries
//                                              in the shared temporary directories.
import { chmodSync, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const SHARED_TEMPORARY = ['/tmp', '/var/tmp', '/dev/shm'];

/** kill(-1) reaches every process this uid may signal but this one; repeat until none is left (forks race it). */
function signalAll(signal: NodeJS.Signals, untilGone: boolean): void {
  for (let round = 0; round < 1000; round += 1) {
    try {
      process.kill(-1, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw error;
    }
    if (!untilGone) return;
  }
}

/** Removes a tree this uid owns, making its own directories writable first (a child may chmod them 0). */
function removeTree(path: string): void {
  const info = lstatSync(path);
  if (!info.isDirectory()) return unlinkSync(path);
  chmodSync(path, 0o700);
  for (const entry of readdirSync(path)) removeTree(join(path, entry));
  rmdirSync(path);
}

function removeOwnEntries(dir: string, uid: number, keep: boolean): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      if (keep || lstatSync(path).uid === uid) removeTree(path);
    } catch {
      // not ours to remove (another uid's entry below ours), or gone meanwhile
    }
  }
}

const [action, argument] = process.argv.slice(2);
if (action === 'kill' && (argument === 'SIGTERM' || argument === 'SIGKILL')) {
  signalAll(argument, false);
} else if (action === 'clean' && argument?.startsWith('/')) {
  signalAll('SIGKILL', true);
  const uid = process.getuid!();
  removeOwnEntries(argument, uid, true);
  for (const dir of SHARED_TEMPORARY) removeOwnEntries(dir, uid, false);
} else {
  process.stderr.write('usage: uid-cleanup.mts kill <SIGTERM|SIGKILL> | clean <call directory>\n');
  process.exit(64);
}
