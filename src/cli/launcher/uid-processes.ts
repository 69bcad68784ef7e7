// Who runs as a child uid, read from /proc (readable by every uid, no capability needed). A clean-up
// signals every process of its uid (kill -1 as that uid), so before it does, each of them must be
// this launcher's child's: started no earlier than the child, by a process of the same uid, by the
// launcher, or handed on to one of the launcher's ancestors (PID 1, a subreaper) when its parent
// died. Anything else (another launcher's child, a process left from before, a login of a user
// whose uid is in the range) is a stranger, and the uid is not signalled.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface UidProcess {
  pid: number;
  ppid: number;
  /** when it started, in clock ticks since boot (/proc/<pid>/stat, field 22) */
  start: number;
  /** real, effective, saved and file system uid */
  uids: number[];
}

/** Live processes (zombies left out: no signal reaches them, and they hold nothing) with any uid that `matches`. */
export async function processesOf(matches: (uid: number) => boolean): Promise<UidProcess[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const found = await Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, 'latin1').catch(() => undefined);
      if (!status || /^State:\s+[ZX]/m.test(status)) return undefined;
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number) ?? [];
      if (!uids.some(matches)) return undefined;
      const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined);
      return stat === undefined ? undefined : { pid: Number(pid), ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]), start: Number(statFields(stat)[19]), uids };
    }),
  );
  return found.filter((process) => process !== undefined);
}

/** When `pid` started (clock ticks since boot); undefined when it is gone or a zombie. */
export function startOf(pid: number): number | undefined {
  let fields: string[];
  try {
    fields = statFields(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
  return fields[0] === 'Z' || fields[0] === 'X' ? undefined : Number(fields[19]);
}

/** Fields 3 (state) onwards of /proc/<pid>/stat: the name (field 2) may hold spaces and parentheses, so count from its end. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** `pid` and each process above it, up to PID 1: where an orphan of its children is handed on to. */
export async function ancestry(pid: number): Promise<Set<number>> {
  const line = new Set<number>();
  for (let current = pid; current > 0 && !line.has(current); ) {
    line.add(current);
    const status = await readFile(`/proc/${current}/status`, 'latin1').catch(() => undefined);
    current = Number(/^PPid:\s+(\d+)/m.exec(status ?? '')?.[1] ?? 0);
  }
  return line;
}

/**
 * The processes of one uid that are not a child's started at `since` (or later) under the launcher
 * whose ancestry is `launcherLine`; with no `since` (no child of this launcher ran as the uid), all.
 */
export function strangers(processes: UidProcess[], since: number | undefined, launcherLine: Set<number>): UidProcess[] {
  const sameUid = new Set(processes.map((process) => process.pid));
  const ours = (process: UidProcess) => since !== undefined && process.start >= since && (sameUid.has(process.ppid) || launcherLine.has(process.ppid));
  return processes.filter((process) => !ours(process));
}

export const describeProcesses = (processes: UidProcess[]) =>
  processes
    .slice(0, 5)
    .map(({ pid, ppid }) => `${pid} (parent ${ppid})`)
    .join(', ') + (processes.length > 5 ? ` and ${processes.length - 5} more` : '');
