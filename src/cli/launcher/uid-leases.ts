// Host-wide uid leases (CLI_UID_LEASE_DIR): two launchers on one host (blue/green, two units) with
// the same CLI_CHILD_UIDS never run children on one uid at once. A lease is a file `<uid>.<holder>`
// in a directory only root may write to; the holder is the launcher's boot id, pid namespace, pid
// and start time, so a lease of a launcher that was killed (kill -9, the OOM killer) is seen as
// dead, and a reused pid is not mistaken for it (the start time differs). Taking a uid: write our
// own file, then look; another live holder's file there means we back off. Two launchers that
// race both write before they look, so at most one of them keeps the uid (both may back off: the
// next uid then). Nobody ever has to take a lease over, so there is nothing to race for.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startOf } from './uid-processes.ts';

export interface UidLeases {
  /** true when this launcher now holds `uid` host-wide; false when a live launcher holds it */
  take(uid: number): boolean;
  give(uid: number): void;
}

export class UidLeaseError extends Error {
  override name = 'UidLeaseError';
}

interface Holder {
  boot: string;
  pidNamespace: string;
  pid: number;
  start: number;
}

export function openUidLeases(dir: string): UidLeases {
  let real: string;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    real = realpathSync(dir);
  } catch (error) {
    throw new UidLeaseError(`the uid lease directory ${dir} cannot be created: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  checkPrivate(real);
  const self: Holder = {
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(),
    pidNamespace: /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1],
    pid: process.pid,
    start: startOf(process.pid)!,
  };
  const name = (uid: number) => `${uid}.${self.boot}.${self.pidNamespace}.${self.pid}.${self.start}`;

  /** A holder of another pid namespace counts as alive: its processes are not ours to see. */
  const alive = (holder: Holder) => holder.boot === self.boot && (holder.pidNamespace !== self.pidNamespace || startOf(holder.pid) === holder.start);

  return {
    take(uid) {
      const mine = name(uid);
      writeFileSync(join(real, mine), '', { flag: 'wx', mode: 0o600 });
      for (const entry of readdirSync(real)) {
        if (entry === mine || !entry.startsWith(`${uid}.`)) continue;
        const holder = parseHolder(entry);
        if (!holder) continue;
        if (alive(holder)) {
          unlinkSync(join(real, mine));
          return false;
        }
        // a dead launcher's: removing it is safe, whoever else does it too
        removeEntry(join(real, entry));
      }
      return true;
    },
    give(uid) {
      removeEntry(join(real, name(uid)));
    },
  };
}

function parseHolder(entry: string): Holder | undefined {
  const match = /^\d+\.([0-9a-f-]{36})\.(\d+)\.(\d+)\.(\d+)$/.exec(entry);
  return match ? { boot: match[1], pidNamespace: match[2], pid: Number(match[3]), start: Number(match[4]) } : undefined;
}

function removeEntry(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Whoever else could write to the directory or one above it could remove another launcher's lease. */
function checkPrivate(real: string): void {
  for (let dir = real; ; dir = dirname(dir)) {
    const info = lstatSync(dir);
    if ((info.uid !== 0 && info.uid !== process.getuid?.()) || (info.mode & 0o022) !== 0) {
      const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
      throw new UidLeaseError(`the uid lease directory ${real} is not root's alone: ${dir} belongs to uid ${info.uid}, mode ${mode}`);
    }
    if (dirname(dir) === dir) return;
  }
}
