// Runs as the uid of a finished (or to be stopped) child, with that uid's rights only, so the
// launcher needs no CAP_KILL or CAP_DAC_OVERRIDE to clean up after a hostile child:
//   uid-cleanup.mts kill <SIGTERM|SIGKILL> <since>   signal every process of this uid
//   uid-cleanup.mts clean <since|none> [<directory>…] kill them all, then remove what the uid left
//                                                   behind: the call directories' content and its
//                                                   own entries in the shared temporary directories.
// <since> is when the launcher's child started (clock ticks since boot); `none`: no child of this
// launcher ran as the uid (a stale call directory found at start). kill -1 reaches every process
// of the uid, so it is sent only while each of them is the child's (uid-processes.ts); otherwise
// nothing is signalled, the helper exits 75 naming the strangers, and the launcher quarantines the uid.
import { chmodSync, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ancestry, describeProcesses, processesOf, strangers } from './uid-processes.ts';

const SHARED_TEMPORARY = ['/tmp', '/var/tmp', '/dev/shm'];
const STRANGERS_EXIT = 75;
const MAX_ROUNDS = 200;

const uid = process.getuid!();
const launcherLine = await ancestry(process.ppid);

/** Signals every process of this uid while all are the child's; repeats until none is left when asked (forks race it). */
async function signalAll(signal: NodeJS.Signals, since: number | undefined, untilGone: boolean): Promise<boolean> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const left = (await processesOf((id) => id === uid)).filter((found) => found.pid !== process.pid);
    const foreign = strangers(left, since, launcherLine);
    if (foreign.length > 0) {
      process.stderr.write(`processes of uid ${uid} this launcher did not start: ${describeProcesses(foreign)}\n`);
      return false;
    }
    if (left.length === 0) return true;
    try {
      process.kill(-1, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    if (!untilGone) return true;
  }
  process.stderr.write(`processes of uid ${uid} still left after ${MAX_ROUNDS} rounds of SIGKILL\n`);
  process.exit(1);
}

/** Removes a tree this uid owns, making its own directories writable first (a child may chmod them 0). */
function removeTree(path: string): void {
  const info = lstatSync(path);
  if (!info.isDirectory()) return unlinkSync(path);
  chmodSync(path, 0o700);
  for (const entry of readdirSync(path)) removeTree(join(path, entry));
  rmdirSync(path);
}

function removeOwnEntries(dir: string, keep: boolean): void {
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

const sinceOf = (word: string | undefined) => (word === 'none' ? undefined : /^\d+$/.test(word ?? '') ? Number(word) : NaN);
const [action, argument, ...rest] = process.argv.slice(2);
if (action === 'kill' && (argument === 'SIGTERM' || argument === 'SIGKILL') && rest.length === 1 && Number.isInteger(sinceOf(rest[0]))) {
  if (!(await signalAll(argument, sinceOf(rest[0]), false))) process.exit(STRANGERS_EXIT);
} else if (action === 'clean' && !Number.isNaN(sinceOf(argument)) && rest.every((dir) => dir.startsWith('/'))) {
  const alone = await signalAll('SIGKILL', sinceOf(argument), true);
  // the call directories were the child's; the temporary entries of the uid may be a stranger's
  for (const dir of rest) removeOwnEntries(dir, true);
  if (!alone) process.exit(STRANGERS_EXIT);
  for (const dir of SHARED_TEMPORARY) removeOwnEntries(dir, false);
} else {
  process.stderr.write('usage: uid-cleanup.mts kill <SIGTERM|SIGKILL> <since> | clean <since|none> [<directory>…]\n');
  process.exit(64);
}
