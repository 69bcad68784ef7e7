// The child uids a launcher hands out: host-wide leases another launcher respects (one that was
// killed leaves none that count), the rule that tells a child's processes from a stranger's, and
// the pool that quarantines a uid whose clean-up failed until a later check finds it clean.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openUidLeases, UidLeaseError, type UidLeases } from '../../src/cli/launcher/uid-leases.ts';
import { createUidPool, type Leftovers } from '../../src/cli/launcher/uid-pool.ts';
import { strangers, type UidProcess } from '../../src/cli/launcher/uid-processes.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { isAlive, waitUntil } from '../support/processes.ts';

const LEASES_MODULE = fileURLToPath(new URL('../../src/cli/launcher/uid-leases.ts', import.meta.url));
const logger = createLogger({ level: 'error', format: 'json' });

describe('host-wide uid leases', () => {
  let parent: string;
  let dir: string;
  const others: ChildProcess[] = [];

  beforeAll(() => {
    // every directory above it the user's or root's, writable by nobody else (not below /tmp)
    mkdirSync(join(homedir(), '.cache'), { recursive: true, mode: 0o700 });
    parent = mkdtempSync(join(homedir(), '.cache', 'mwmcp-uid-leases-'));
    dir = join(parent, 'uids');
  });
  afterEach(() => {
    for (const other of others.splice(0)) other.kill('SIGKILL');
  });
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  /** Another launcher: a process of its own that takes `uid` and holds it until it is killed. */
  async function anotherLauncherTaking(uid: number): Promise<{ process: ChildProcess; took: boolean }> {
    const script = `import { openUidLeases } from ${JSON.stringify(LEASES_MODULE)}; console.log(openUidLeases(${JSON.stringify(dir)}).take(${uid})); setInterval(() => {}, 60_000);`;
    const other = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    others.push(other);
    let output = '';
    other.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(() => output.includes('\n'), 'the other launcher to take its uid');
    return { process: other, took: output.trim() === 'true' };
  }

  it('refuses a uid another live launcher holds, and takes it once that one was killed', async () => {
    const leases = openUidLeases(dir);
    const other = await anotherLauncherTaking(100);
    expect(other.took).toBe(true);
    expect(leases.take(100)).toBe(false);
    expect(leases.take(101)).toBe(true);
    other.process.kill('SIGKILL');
    await waitUntil(() => !isAlive(other.process.pid!), 'the other launcher gone');
    expect(leases.take(100)).toBe(true);
    // and the other way round: a launcher that starts now does not get what this one holds
    expect((await anotherLauncherTaking(100)).took).toBe(false);
    leases.give(100);
    expect((await anotherLauncherTaking(100)).took).toBe(true);
    leases.give(101);
  });

  it('counts a lease whose pid now runs another process as dead, and one of another pid namespace as held', () => {
    const leases = openUidLeases(dir);
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1];
    // this very pid, but a start time it never had: a launcher that died and whose pid was reused
    writeFileSync(join(dir, `200.${boot}.${namespace}.${process.pid}.1`), '');
    expect(leases.take(200)).toBe(true);
    writeFileSync(join(dir, `201.${boot}.1.${process.pid}.1`), '');
    expect(leases.take(201)).toBe(false);
    // a lease from before the machine restarted
    writeFileSync(join(dir, `202.00000000-0000-0000-0000-000000000000.${namespace}.1.1`), '');
    expect(leases.take(202)).toBe(true);
    expect(readdirSync(dir).filter((entry) => entry.startsWith('200.') || entry.startsWith('202.'))).toHaveLength(2);
  });

  it('refuses a lease directory anyone else may write to', () => {
    const shared = join(parent, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(() => openUidLeases(join(shared, 'uids'))).toThrow(UidLeaseError);
    expect(() => openUidLeases(join(shared, 'uids'))).toThrow(/not root's alone/);
  });
});

describe('strangers: the processes of a uid that are not the child’s', () => {
  const launcherLine = new Set([1, 50, 60]); // PID 1 → a service manager → the launcher (60)
  const child: UidProcess = { pid: 100, ppid: 60, start: 1000, uids: [7, 7, 7, 7] };
  const at = (pid: number, ppid: number, start: number): UidProcess => ({ pid, ppid, start, uids: [7, 7, 7, 7] });

  it('are none for the child, what it started, and what it left to PID 1', () => {
    expect(strangers([child, at(101, 100, 1001), at(102, 101, 1002), at(103, 1, 1003)], 1000, launcherLine)).toEqual([]);
  });

  it('are a process older than the child, one another root process started, and everything when no child of ours ran', () => {
    const older = at(90, 1, 999);
    const anotherLaunchers = at(104, 70, 1005);
    const itsFork = at(105, 104, 1006);
    expect(strangers([child, older, anotherLaunchers, itsFork], 1000, launcherLine).map((p) => p.pid)).toEqual([90, 104]);
    expect(strangers([child], undefined, launcherLine)).toEqual([child]);
  });
});

describe('the uid pool', () => {
  /** leases that every uid passes, as on a host with one launcher */
  const soleLeases = (): UidLeases & { held: Set<number> } => {
    const held = new Set<number>();
    return { held, take: (uid) => (held.has(uid) ? false : (held.add(uid), true)), give: (uid) => void held.delete(uid) };
  };

  it('never hands out a uid twice while leased, and reuses a released one last', async () => {
    const pool = createUidPool({ range: { first: 100, last: 102 }, leases: soleLeases(), strangers: async () => [], cleanUp: async () => {}, logger });
    const leased = [await pool.lease(), await pool.lease(), await pool.lease()];
    expect(new Set(leased)).toEqual(new Set([100, 101, 102]));
    expect(await pool.lease()).toBeUndefined();
    await pool.giveBack(101, { since: 1, directories: [] });
    expect(await pool.lease()).toBe(101);
    await pool.giveBack(100, { since: 1, directories: [] });
    pool.release(102);
    expect(await pool.lease()).toBe(102);
  });

  it('skips a uid another launcher holds', async () => {
    const leases = soleLeases();
    leases.held.add(100);
    const pool = createUidPool({ range: { first: 100, last: 101 }, leases, strangers: async () => [], cleanUp: async () => {}, logger });
    expect(await pool.lease()).toBe(101);
    expect(await pool.lease()).toBeUndefined();
  });

  it('quarantines a uid whose clean-up failed and one a stranger runs as, holding both until a later check finds them clean', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const leases = soleLeases();
      const strangerOn = new Set([101]);
      let cleanUpFails = true;
      const cleanedUp: Array<[number, Leftovers]> = [];
      const changes: unknown[] = [];
      const pool = createUidPool({
        range: { first: 100, last: 102 },
        leases,
        strangers: async (uid) => (strangerOn.has(uid) ? [{ pid: 9, ppid: 1, start: 1, uids: [uid] }] : []),
        cleanUp: async (uid, leftovers) => {
          cleanedUp.push([uid, leftovers]);
          if (cleanUpFails) throw new Error('the call directory cannot be removed: EROFS');
        },
        logger,
        onChange: (status) => changes.push(status),
      });
      expect(await pool.lease()).toBe(100);
      await pool.giveBack(100, { since: 5, directories: ['/state/calls-0/mw-call-abcdef'] });
      // 100 is quarantined, 101 has a stranger: only 102 is left
      expect(await pool.lease()).toBe(102);
      expect(await pool.lease()).toBeUndefined();
      expect(pool.status()).toEqual({ size: 3, inUse: 1, quarantined: 2 });
      expect(changes.at(-1)).toEqual({ size: 3, inUse: 1, quarantined: 2 });
      // still held host-wide: no other launcher gets them meanwhile
      expect([...leases.held].sort()).toEqual([100, 101, 102]);

      // a check while the clean-up still fails and the stranger still runs changes nothing
      await jest.advanceTimersByTimeAsync(20_000);
      expect(pool.status().quarantined).toBe(2);
      cleanUpFails = false;
      strangerOn.clear();
      await jest.advanceTimersByTimeAsync(20_000);
      expect(pool.status()).toEqual({ size: 3, inUse: 1, quarantined: 0 });
      // the failed clean-up was tried again with what the child left
      expect(cleanedUp.filter(([uid]) => uid === 100).at(-1)).toEqual([100, { since: 5, directories: ['/state/calls-0/mw-call-abcdef'] }]);
      expect([...leases.held].sort()).toEqual([102]);
      expect(await pool.lease()).toBe(100);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reclaims at start only a uid no live launcher holds', async () => {
    const leases = soleLeases();
    leases.held.add(101);
    const cleanedUp: number[] = [];
    const pool = createUidPool({ range: { first: 100, last: 101 }, leases, strangers: async () => [], cleanUp: async (uid) => void cleanedUp.push(uid), logger });
    await pool.reclaim(100, ['/state/calls-0/mw-call-aaaaaa']);
    await pool.reclaim(101, ['/state/calls-0/mw-call-bbbbbb']);
    expect(cleanedUp).toEqual([100]);
    expect(pool.status()).toEqual({ size: 2, inUse: 0, quarantined: 0 });
  });
});
