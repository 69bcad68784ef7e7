// The uids children run as (CLI_CHILD_UIDS): one per child, never two running children on one uid,
// and a uid comes back only after everything its last child left behind is gone.
export interface UidPool {
  /** a free uid, or undefined when every uid is running a child or being cleaned up */
  lease(): number | undefined;
  release(uid: number): void;
  inUse(): number[];
}

export function createUidPool(range: { first: number; last: number }): UidPool {
  const leased = new Set<number>();
  // Round robin: a released uid is the last to be handed out again.
  let next = range.first;
  return {
    lease() {
      const size = range.last - range.first + 1;
      for (let tried = 0; tried < size; tried += 1) {
        const uid = next;
        next = next === range.last ? range.first : next + 1;
        if (!leased.has(uid)) {
          leased.add(uid);
          return uid;
        }
      }
      return undefined;
    },
    release(uid) {
      leased.delete(uid);
    },
    inUse: () => [...leased],
  };
}
