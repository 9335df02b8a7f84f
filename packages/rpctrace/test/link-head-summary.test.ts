/**
 * Link mode's -c from message heads (message-heads.ts, head-summary.ts)
 * against the table the full decode gives (crossingEvents into a
 * summary-only TraceSession, what -c ran before and still runs with
 * --pcap): seeded random links of RPCs between two nodes (nested,
 * out of order, failed, never answered, one-way, unknown ids, out-of-line
 * data, CONTROL frames between), their frames cut at random places; and
 * over real sockets, traceLink's -c with and without --pcap.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE, type Abi, type MachMessage, type MigArgs } from 'mach-msg';
import { FrameKind, encodeFrame, encodeMessageBody, toWireMessage, type PortId, type WireMessage } from 'netmsg-wire';
import { IdentityNames, LinkSplice, TraceSession, crossingEvents, formatSummary, traceLink, type LinkCrossing } from '../src/index.js';
import { LinkHeadSummary } from '../src/link/head-summary.js';
import { MessageHeadReader, headOf } from '../src/link/message-heads.js';
import { SECRET, connectClient, ioReadRequest, startServerNode, type Peer } from './support/link-peer.js';
import { unitRng as rng } from './support/xorshift.js';

const ifaces = { io: getBuiltinInterface('io', 'x86_64'), fs: getBuiltinInterface('fs', 'x86_64') };

/** A MIG message as a task would send it, as it crosses a link (reply right: a send-once to `reply`). */
function wire(msg: MachMessage, dest: { right: 'send' | 'sendOnce'; id: PortId }, reply: PortId | null): WireMessage {
  const h = msg.header;
  const sendForm: MachMessage = { ...msg, header: { ...h, bits: { ...h.bits, remote: reply === null ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: reply === null ? 0 : 1 } };
  return toWireMessage(sendForm, [], dest, (_n, right) => ({ tag: 'port', right, id: reply as PortId }) as never);
}

type Kind = 'io_read' | 'dir_lookup' | 'io_stat';
const REQ: Record<Kind, (r: () => number) => MigArgs> = {
  io_read: (r) => ({ io_object: 0, offset: BigInt(Math.floor(r() * 1e6)), amount: BigInt(Math.floor(r() * 64)) }),
  dir_lookup: () => ({ start_dir: 0, file_name: 'etc/motd', flags: 1, mode: 0 }),
  io_stat: () => ({ stat_object: 0 }),
};
const routineOf = (k: Kind) => (k === 'dir_lookup' ? ifaces.fs : ifaces.io).routine(k);

/** An id no interface knows, with a first item that looks like a RetCode (or not). */
function unknown(dest: PortId, reply: PortId | null, id: number, int: boolean): WireMessage {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, -7, true);
  return {
    msgId: id,
    otherBits: 0,
    dest: { right: reply === null ? 'sendOnce' : 'send', id: dest },
    reply: reply === null ? { tag: 'null' } : { tag: 'port', right: 'sendOnce', id: reply },
    items: [int ? { kind: 'data', name: 2, size: 32, count: 1, longform: false, data } : { kind: 'data', name: 2, size: 32, count: 1, longform: true, data }],
  };
}

/** A request carrying out-of-line bytes (its reply never comes). */
function withOol(dest: PortId, reply: PortId, bytes: number): WireMessage {
  return {
    msgId: routineOf('io_read').id,
    otherBits: 0,
    dest: { right: 'send', id: dest },
    reply: { tag: 'port', right: 'sendOnce', id: reply },
    items: [{ kind: 'ool', name: 9, size: 8, count: bytes, longform: false, deallocate: false, data: new Uint8Array(bytes).fill(7) }],
  };
}

/** A seeded link: crossings between node 1 and node 2, RPCs both ways, answered in any order or not at all. */
function randomLink(seed: number): { crossings: LinkCrossing[]; abis: [Abi, Abi] } {
  const r = rng(seed);
  const abis: [Abi, Abi] = [r() < 0.5 ? 'i386' : 'x86_64', 'x86_64'];
  const ends = [{ node: 1, abi: abis[0] }, { node: 2, abi: abis[1] }];
  const crossings: LinkCrossing[] = [];
  const open: { kind: Kind; client: number; reply: PortId }[] = [];
  let time = 1_000_000;
  let serial = 100;
  const n = 20 + Math.floor(r() * 60);
  for (let i = 0; i < n; i++) {
    time += Math.floor(r() * 5000) / 8;
    const pick = r();
    if (open.length > 0 && pick < 0.45) {
      // A reply, to any open call (out of order), failed one time in four.
      const call = open.splice(Math.floor(r() * open.length), 1)[0]!;
      const routine = routineOf(call.kind);
      const failed = r() < 0.25;
      const args: MigArgs = failed ? { retCode: 1073741826 + Math.floor(r() * 4) } : call.kind === 'io_read' ? { retCode: 0, data: new Uint8Array(Math.floor(r() * 40)).fill(0x61) } : { retCode: 1073741826 };
      const server = ends[1 - call.client]!;
      crossings.push({ time, from: server, to: ends[call.client]!, msg: wire(routine.encodeReply(args), { right: 'sendOnce', id: call.reply }, null) });
      continue;
    }
    const client = r() < 0.7 ? 0 : 1;
    const from = ends[client]!;
    const to = ends[1 - client]!;
    const dest = { node: to.node, serial: 1 + Math.floor(r() * 3) };
    const reply = { node: from.node, serial: ++serial };
    if (pick < 0.52) crossings.push({ time, from, to, msg: unknown(dest, r() < 0.5 ? reply : null, 900_000 + Math.floor(r() * 3) * 100, r() < 0.5) });
    else if (pick < 0.56) crossings.push({ time, from, to, msg: withOol(dest, reply, 1 + Math.floor(r() * 3000)) });
    else {
      const kind = (['io_read', 'dir_lookup', 'io_stat'] as const)[Math.floor(r() * 3)]!;
      // One request in ten has no reply right (a one-way send of a routine's id): never answered.
      const oneWay = r() < 0.1;
      crossings.push({ time, from, to, msg: wire(routineOf(kind).encodeRequest(REQ[kind](r)), { right: 'send', id: dest }, oneWay ? null : reply) });
      if (!oneWay) open.push({ kind, client, reply });
    }
  }
  return { crossings, abis };
}

/** The table the full decode gives (crossingEvents into a summary-only session). */
function fullTable(crossings: LinkCrossing[], filter?: string[]): string {
  const names = new IdentityNames();
  const s = new TraceSession({ summary: true, ...(filter === undefined ? {} : { filter }), portName: (_t, n) => names.label(n), jsonReceivesOnly: true });
  for (const c of crossings) for (const e of crossingEvents(c, names)) s.feed(e);
  return s.finish();
}

/** The frames of a message as a node sends them: its MESSAGE, then its out-of-line bytes in OOL_CHUNKs. */
function framesOf(msg: WireMessage): Uint8Array[] {
  const { body, ool } = encodeMessageBody(msg);
  return [encodeFrame(FrameKind.MESSAGE, body), ...ool.map((b) => encodeFrame(FrameKind.OOL_CHUNK, b))];
}

/** The table from heads: each crossing's frames (and a CONTROL frame now and then) cut at random places. */
function headTable(crossings: LinkCrossing[], seed: number, filter?: string[]): string {
  const r = rng(seed * 31 + 7);
  const names = new IdentityNames();
  const heads = new LinkHeadSummary(filter === undefined ? {} : { filter }, names);
  const readers = new Map<number, MessageHeadReader>();
  for (const c of crossings) {
    const reader = readers.get(c.from.node) ?? new MessageHeadReader();
    readers.set(c.from.node, reader);
    const frames = framesOf(c.msg);
    if (r() < 0.2) frames.unshift(encodeFrame(FrameKind.CONTROL, new Uint8Array(Math.floor(r() * 30)).fill(3)));
    const bytes = new Uint8Array(Buffer.concat(frames));
    for (let at = 0; at < bytes.length; ) {
      const k = Math.min(bytes.length - at, 1 + Math.floor(r() * 90));
      const why = reader.push(bytes.subarray(at, at + k), (h) => heads.crossing({ fromNode: c.from.node, fromAbi: c.from.abi, toNode: c.to.node }, h, c.time));
      expect(why).toBeUndefined();
      at += k;
    }
  }
  return formatSummary(heads.summary());
}

describe('-c from message heads', () => {
  test('gives the table of the full decode on 60 seeded links cut anywhere (errors, out of order, unanswered, unknown ids, out-of-line data)', () => {
    let errors = 0;
    let routines = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { crossings } = randomLink(seed);
      const want = fullTable(crossings);
      expect(headTable(crossings, seed), `seed ${seed}`).toBe(want);
      const rows = want.trimEnd().split('\n').slice(2, -2);
      routines = Math.max(routines, rows.length);
      errors += rows.reduce((n, row) => n + Number(row.trim().split(/\s+/)[1]), 0);
    }
    // The links exercise what the table shows: several routines, failed calls.
    expect(routines).toBeGreaterThanOrEqual(4);
    expect(errors).toBeGreaterThan(20);
  });

  test('with -e filters, the same rows as the full decode', () => {
    for (const filter of [['trace=io_read'], ['status=failed'], ['trace=%fs']]) {
      for (let seed = 61; seed <= 70; seed++) {
        const { crossings } = randomLink(seed);
        expect(headTable(crossings, seed, filter), `${filter.join(' ')} seed ${seed}`).toBe(fullTable(crossings, filter));
      }
    }
  });

  test('headOf (a message the splice decoded before bytes pass as they come) reads what the frame head gives', () => {
    for (let seed = 71; seed <= 80; seed++) {
      for (const c of randomLink(seed).crossings) {
        const got: unknown[] = [];
        expect(new MessageHeadReader().push(framesOf(c.msg)[0]!, (h) => got.push({ ...h }))).toBeUndefined();
        expect(got).toEqual([headOf(c.msg)]);
      }
    }
  });

  test('a head that does not parse is refused, and nothing after it is read', () => {
    const good = framesOf(ioReadRequest({ node: 2, serial: 1 }, { node: 1, serial: 10 }, 0n, 5n))[0]!;
    const bad = good.slice();
    bad[5 + 8] = 9; // the destination's tag
    const reader = new MessageHeadReader();
    let n = 0;
    expect(reader.push(new Uint8Array(Buffer.concat([good, bad, good])), () => n++)).toBe('destination tag 9');
    expect(n).toBe(1);
    expect(reader.push(good, () => n++)).toBe('destination tag 9');
    expect(n).toBe(1);
    const short = encodeFrame(FrameKind.MESSAGE, new Uint8Array(10));
    expect(new MessageHeadReader().push(short, () => n++)).toMatch(/too short/);
    // The splice ends both links with that reason.
    const splice = new LinkSplice({ secret: SECRET });
    const acts = splice.refuse('a', 'destination tag 9');
    expect(acts.at(-1)).toMatchObject({ type: 'closed', code: 'bad_message' });
    expect(splice.isClosed).toBe(true);
  });
});

describe('-c over real sockets', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** io_reads through a tracer with -c (and --pcap's onFrame: the full decode, when `pcap`); its table. */
  async function table(pcap: boolean): Promise<string> {
    const server = await startServerNode(2);
    cleanups.push(() => server.close());
    let out = '';
    let tick = 0;
    const t = await traceLink({
      listen: { host: '127.0.0.1', port: 0 },
      connect: { host: '127.0.0.1', port: server.port },
      secret: SECRET,
      summary: true,
      write: (s) => (out += s),
      now: () => tick++,
      ...(pcap ? { onFrame: () => {} } : {}),
    });
    cleanups.push(() => t.stop());
    const c: Peer = connectClient(1, t.address.port);
    cleanups.push(() => void c.socket.destroy());
    await c.established;
    for (let i = 0; i < 40; i++) {
      const reply = { node: 1, serial: 10 + i };
      c.send(ioReadRequest({ node: 2, serial: 1 }, reply, BigInt(i), BigInt(1 + i)));
      await c.next(reply);
    }
    await t.stop();
    return out;
  }

  test('calls and errors per routine are the full decode\'s', async () => {
    const counts = (text: string): string[] => text.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0] ?? '')).map((f) => `${f[0]} ${f[1]} ${f.at(-1)}`);
    const heads = await table(false);
    const full = await table(true);
    expect(counts(heads)).toEqual(['40 0 io_read', '40 0 total']);
    expect(counts(heads)).toEqual(counts(full));
  });
});
