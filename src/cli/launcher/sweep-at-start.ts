// At start, what a launcher that was killed (kill -9, the OOM killer) or a clean-up that failed
// (STATE_DIR read-only for a moment) left behind: call directories of child uids in the call root,
// and processes running as child uids. Each such uid that no live launcher holds is cleaned up as
// after a child (its directories emptied as that uid, then removed) or quarantined (uid-pool.ts).
// Only directories with a call directory's name are touched, never through a symlink, and only
// those of a uid of the range: others belong to a launcher with another range (a shared STATE_DIR),
// and the root's are a start that had not handed its directory over yet (they hold nothing of a user).
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../observability/logger.ts';
import { CALL_DIRECTORY_NAME } from '../call-directory.ts';
import type { UidPool } from './uid-pool.ts';
import { processesOf } from './uid-processes.ts';

export async function sweepAtStart(settings: { callRoot: string; range: { first: number; last: number }; pool: UidPool; logger: Logger }): Promise<void> {
  const { callRoot, range, pool } = settings;
  const inRange = (uid: number) => uid >= range.first && uid <= range.last;
  const left = new Map<number, string[]>();
  for (const name of await readdir(callRoot)) {
    if (!CALL_DIRECTORY_NAME.test(name)) continue;
    const path = join(callRoot, name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory() && inRange(info.uid)) left.set(info.uid, [...(left.get(info.uid) ?? []), path]);
  }
  for (const process of await processesOf(inRange)) {
    for (const uid of process.uids.filter(inRange)) if (!left.has(uid)) left.set(uid, []);
  }
  if (left.size === 0) return;
  const directories = [...left.values()].flat().length;
  settings.logger.info(`launcher: at start, ${directories} stale call directories and ${left.size} child uids with something left: cleaning up`);
  for (const [uid, stale] of left) await pool.reclaim(uid, stale);
}
