import { describe, expect, it } from 'vitest';
import { randomOps, runSchedule, type Op } from '../src/sim/schedules.js';

/**
 * Schedules of seeds 201-240 × 100 × 320 (2026-12-01, the lead's sweep;
 * PROTOCOL.md §9), pinned numbered (`simulate --schedule NUM --length 320
 * MODE`) and shrunk (`shrink --schedule NUM --length 320 MODE --match
 * credit`, the lead's run: 68 operations). Both fail before the fix
 * (checked: src/ of 3cb004b, the file run, restored).
 */
describe('sweep of seeds 201-240', () => {
  // Node 3 sends a message to 4:2 on link 1 (its route) while link 1-4
  // dies and node 1 kills its proxy for 4:2 (DEAD to node 3). The message
  // reaches node 1 after that, finds no entry and, carrying a receive
  // right, waits in link 3's gate. Node 3, with 4:2's receive right in
  // hand, takes the DEAD (chainDied: its credit on link 1 is dropped with
  // the chain) and sends the right on to node 1, a fresh window. The gated
  // message then found node 1's new entry (the right arriving), was held
  // and credited: node 3's new window grew to 6 of 5. A message that came
  // for no entry is answered by the DEAD that killed the entry, never by
  // credit, whatever takes it later (node-flow.ts `unowed`, §6).
  it('a message that found no entry here earns no credit when a later entry takes it (219000707, 4 nodes, link loss)', () => {
    expect(runSchedule(4, 219000707, randomOps(219000707, 320, true, true, true), { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });

  it('the same, shrunk', () => {
    const ops: Op[] = [
      { op: 'newPort', node: 2 }, { op: 'giveSend', holder: 58, to: 3 }, { op: 'steps', n: 3 },
      { op: 'cut', a: 2, b: 3 }, { op: 'giveSend', holder: 56, to: 1 },
      { op: 'soGive', holder: 43, to: 0 }, { op: 'steps', n: 7 },
      { op: 'giveSend', holder: 51, to: 0 }, { op: 'soGive', holder: 43, to: 1 },
      { op: 'newPort', node: 3 }, { op: 'giveReceive', holder: 18, to: 0 },
      { op: 'soUse', holder: 36, destroy: false }, { op: 'giveReceive', holder: 24, to: 1 },
      { op: 'steps', n: 5 }, { op: 'data', holder: 33 }, { op: 'data', holder: 6 },
      { op: 'giveSend', holder: 3, to: 3 }, { op: 'drop', holder: 58 }, { op: 'newPort', node: 3 },
      { op: 'giveSend', holder: 42, to: 0 }, { op: 'soGive', holder: 42, to: 1 },
      { op: 'giveSend', holder: 1, to: 1 }, { op: 'steps', n: 9 }, { op: 'newPort', node: 0 },
      { op: 'soGive', holder: 56, to: 2 }, { op: 'soUse', holder: 57, destroy: false },
      { op: 'newPort', node: 3 }, { op: 'steps', n: 7 }, { op: 'data', holder: 34 },
      { op: 'data', holder: 30 }, { op: 'soGive', holder: 1, to: 1 }, { op: 'newPort', node: 2 },
      { op: 'giveSend', holder: 19, to: 1 }, { op: 'soGive', holder: 28, to: 3 },
      { op: 'giveSend', holder: 24, to: 3 }, { op: 'soGive', holder: 61, to: 1 },
      { op: 'newPort', node: 1 }, { op: 'steps', n: 2 },
      { op: 'giftVia', holder: 24, via: 25, receive: false },
      { op: 'giftVia', holder: 18, via: 13, receive: true },
      { op: 'giftVia', holder: 24, via: 13, receive: true }, { op: 'destroy', holder: 21 },
      { op: 'giftVia', holder: 41, via: 12, receive: true }, { op: 'destroy', holder: 56 },
      { op: 'steps', n: 10 }, { op: 'giveSend', holder: 46, to: 3 }, { op: 'data', holder: 41 },
      { op: 'data', holder: 13 }, { op: 'giveSend', holder: 40, to: 2 },
      { op: 'giveSend', holder: 43, to: 2 }, { op: 'drop', holder: 57 },
      { op: 'giveSend', holder: 58, to: 3 }, { op: 'steps', n: 9 }, { op: 'drop', holder: 57 },
      { op: 'soGive', holder: 47, to: 3 }, { op: 'data', holder: 46 }, { op: 'data', holder: 20 },
      { op: 'data', holder: 20 }, { op: 'data', holder: 62 }, { op: 'destroy', holder: 27 },
      { op: 'giveSend', holder: 42, to: 1 }, { op: 'newPort', node: 2 }, { op: 'data', holder: 11 },
      { op: 'giveSend', holder: 42, to: 3 }, { op: 'giftVia', holder: 57, via: 4, receive: true },
      { op: 'soUse', holder: 48, destroy: false }, { op: 'data', holder: 36 },
      { op: 'cut', a: 3, b: 0 }
    ];
    expect(runSchedule(4, 219000707, ops, { loss: true, deferSendOnce: true }).violations).toEqual([]);
  });
});
