import { Connection, type ConnectionEvent, PROTOCOL_VERSION } from '../src/connection.js';
import { withLimits, type WireLimits } from '../src/limits.js';
import type { WireMessage } from '../src/wire-message.js';
import { randomOps, runSchedule } from '../src/sim/schedules.js';
import { sweepSchedule } from '../src/sim/sweep.js';

export function seeded(seed: number): (n: number) => Uint8Array<ArrayBuffer> {
  let s = seed >>> 0 || 1;
  return (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      b[i] = s & 0xff;
    }
    return b;
  };
}

export const SECRET = new TextEncoder().encode('shared secret for tests');

export function conn(node: number, opts: { secret?: Uint8Array; seed?: number; limits?: Partial<WireLimits>; vmin?: number; vmax?: number; abi?: 'i386' | 'x86_64' } = {}): Connection {
  return new Connection({
    node,
    abi: opts.abi ?? 'i386',
    secret: opts.secret ?? SECRET,
    limits: withLimits(opts.limits),
    random: seeded(opts.seed ?? node * 7919),
    versions: { vmin: opts.vmin ?? PROTOCOL_VERSION, vmax: opts.vmax ?? PROTOCOL_VERSION },
  });
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const n = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Shuttle bytes both ways until neither side has output; returns each side's events. */
export function pump(a: Connection, b: Connection): { a: ConnectionEvent[]; b: ConnectionEvent[] } {
  const ea: ConnectionEvent[] = [];
  const eb: ConnectionEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const oa = a.takeOutput();
    const ob = b.takeOutput();
    if (oa.length === 0 && ob.length === 0) break;
    for (const c of oa) eb.push(...b.receive(c));
    for (const c of ob) ea.push(...a.receive(c));
  }
  return { a: ea, b: eb };
}

/** Two connections through their handshake (`limits` for both, e.g. a frame size). */
export function established(limits?: Partial<WireLimits>): [Connection, Connection] {
  const a = conn(1, { limits });
  const b = conn(2, { limits, abi: 'x86_64' });
  a.start();
  b.start();
  pump(a, b);
  if (!a.isEstablished || !b.isEstablished) throw new Error('handshake failed');
  return [a, b];
}

export function sampleMessage(): WireMessage {
  return {
    dest: { right: 'send', id: { node: 2, serial: 77 } },
    reply: { tag: 'port', right: 'sendOnce', id: { node: 1, serial: 5 } },
    msgId: 2800,
    otherBits: 0,
    items: [
      { kind: 'data', name: 2, size: 32, count: 2, longform: false, data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]) },
      {
        kind: 'ports', right: 'send', inline: true, longform: false, deallocate: false,
        ports: [{ tag: 'null' }, { tag: 'dead' }, { tag: 'port', right: 'send', id: { node: 3, serial: 2 ** 40 } }],
      },
      { kind: 'ool', name: 9, size: 8, count: 5, longform: true, deallocate: true, data: new Uint8Array([9, 8, 7, 6, 5]) },
      {
        kind: 'ports', right: 'receive', inline: false, longform: true, deallocate: true,
        ports: [{
          tag: 'port', right: 'receive', id: { node: 1, serial: 9 },
          state: { mscount: 3, qlimit: 5, noSendersSync: 1, noSendersNotify: { tag: 'port', right: 'sendOnce', id: { node: 1, serial: 10 } } },
        }],
      },
    ],
  };
}

/** `n` bytes of a seeded linear congruential sequence (the same bytes for the same seed). */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Schedule `index` of `simulate --seed seed --length length [--send-once]`,
 * run as the sweep runs it (sweep.ts's numbering, nodes and link loss): its
 * violations.
 */
export function sweptViolations(seed: number, index: number, length: number, sendOnce = false): string[] {
  const { number, nodes, loss } = sweepSchedule(seed, index);
  return runSchedule(nodes, number, randomOps(number, length, loss, sendOnce), { loss }).violations;
}
