/**
 * Fuzzing the decoders that take bytes from outside: the splice (whatever a
 * peer sends, it answers with actions, never an exception, and once closed
 * stays closed), and the program-to-command record reader (records or a
 * typed error, nothing else). Seeded, so every run is the same.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FrameKind, encodeFrame, packControl } from 'netmsg-wire';
import { LinkSplice, WireEventReader, decodeWireEvent, isRpcTraceError } from '../src/index.js';

const secret = new TextEncoder().encode('fuzzing secret, long enough');
const hello = (node: number): Uint8Array =>
  encodeFrame(FrameKind.HELLO, packControl({ vmin: 1, vmax: 1, node, abi: 'x86_64', caps: [], nonce: new Uint8Array(32).fill(node), window: 5, maxFrame: 65536 }));

describe('fuzz', () => {
  test('LinkSplice takes any bytes from either side without throwing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a' as const, 'b' as const), fc.uint8Array({ maxLength: 200 })), { maxLength: 8 }),
        fc.boolean(),
        (chunks, greet) => {
          const s = new LinkSplice({ secret, random: (n) => new Uint8Array(n).fill(7) });
          if (greet) {
            s.receive('a', hello(1));
            s.receive('b', hello(2));
          }
          let closed = s.isClosed;
          for (const [side, bytes] of chunks) {
            const actions = s.receive(side, bytes);
            if (closed) expect(actions).toEqual([]);
            closed = s.isClosed;
          }
          s.stop('end of test');
          expect(s.isClosed).toBe(true);
        },
      ),
      { seed: 8, numRuns: 400 },
    );
  });

  test('the record reader gives records or a typed error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), (chunks) => {
        const r = new WireEventReader();
        try {
          for (const c of chunks) for (const rec of r.push(c)) decodeWireEvent(rec);
        } catch (e) {
          expect(isRpcTraceError(e) && e.code === 'invalid_event').toBe(true);
        }
      }),
      { seed: 8, numRuns: 400 },
    );
  });
});
