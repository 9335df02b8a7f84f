import type { Op } from './schedules.js';

/** A deterministic op list from a seed (for the simulate script). */
export function randomOps(seed: number, length: number, loss: boolean, sendOnce = false, heldRights = false, relink = false): Op[] {
  let s = seed >>> 0 || 1;
  const r = (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const ops: Op[] = [];
  for (let i = 0; i < length; i++) {
    // Relinks (a lost link back under the same node ids) only on request,
    // with link loss: the numbered schedules stay what they were.
    const k = r(loss ? (relink ? 22 : 20) : 19);
    if (sendOnce && r(4) === 0) {
      // Mixed in only on request, so the numbered schedules recorded in
      // PROTOCOL.md §9 stay what they were.
      ops.push(r(2) === 0 ? { op: 'soGive', holder: r(64), to: r(4) } : { op: 'soUse', holder: r(64), destroy: r(3) === 0 });
      continue;
    }
    if (heldRights && r(3) === 0) {
      // Gifts through any held send right (held-gifts.ts), mostly receive
      // rights; also only on request, for the same reason.
      ops.push({ op: 'giftVia', holder: r(64), via: r(64), receive: r(4) !== 0 });
      continue;
    }
    if (k < 3) ops.push({ op: 'newPort', node: r(4) });
    else if (k < 7) ops.push({ op: 'giveSend', holder: r(64), to: r(4) });
    else if (k < 9) ops.push({ op: 'giveReceive', holder: r(64), to: r(4) });
    else if (k < 13) ops.push({ op: 'data', holder: r(64) });
    else if (k < 15) ops.push({ op: 'drop', holder: r(64) });
    else if (k < 16) ops.push({ op: 'destroy', holder: r(64) });
    else if (k < 19) ops.push({ op: 'steps', n: r(12) });
    else if (k < 20) ops.push({ op: 'cut', a: r(4), b: r(4) });
    else ops.push({ op: 'relink', a: r(4), b: r(4) });
  }
  return ops;
}
