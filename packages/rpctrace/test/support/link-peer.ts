/**
 * Minimal netmsg-wire peers over real loopback TCP, built on netmsg-wire's
 * Connection only: a server node that answers io_read requests (and, when
 * told, calls back its client before answering: a nested RPC), and a client
 * node that sends requests and waits for replies. Every byte each end
 * receives is kept, so tests can compare what crossed with and without the
 * tracer in between.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { getBuiltinInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE, type MachMessage, type MigArgs } from 'mach-msg';
import {
  Connection, FrameKind, FrameReader, toWireMessage, withLimits,
  type ConnectionEvent, type PeerInfo, type PortId, type WireMessage,
} from 'netmsg-wire';

export const SECRET = new TextEncoder().encode('a shared secret for the rpctrace link tests');
const io = getBuiltinInterface('io', 'x86_64');

export interface Peer {
  node: number;
  conn: Connection;
  socket: Socket;
  /** Every byte received, in order. */
  received: Uint8Array[];
  /** Messages received, in order. */
  messages: WireMessage[];
  established: Promise<PeerInfo>;
  closed: Promise<{ code: string; reason: string; byPeer: boolean }>;
  send(msg: WireMessage): void;
  /** The next message received to the identity `dest` (a reply port). */
  next(dest: PortId): Promise<WireMessage>;
}

function attach(node: number, socket: Socket, onMessage: (p: Peer, m: WireMessage) => void): Peer {
  const conn = new Connection({ node, abi: 'x86_64', secret: SECRET, limits: withLimits(), random: seeded(node) });
  let established!: (p: PeerInfo) => void;
  let closed!: (c: { code: string; reason: string; byPeer: boolean }) => void;
  const waiters: { dest: PortId; resolve: (m: WireMessage) => void }[] = [];
  const peer: Peer = {
    node,
    conn,
    socket,
    received: [],
    messages: [],
    established: new Promise((r) => (established = r)),
    closed: new Promise((r) => (closed = r)),
    send(msg) {
      conn.send({ kind: 'message', msg });
      flush();
    },
    next(dest) {
      const have = peer.messages.findIndex((m) => m.dest.id.node === dest.node && m.dest.id.serial === dest.serial);
      if (have >= 0) return Promise.resolve(peer.messages.splice(have, 1)[0] as WireMessage);
      return new Promise((resolve) => waiters.push({ dest, resolve }));
    },
  };
  const flush = (): void => {
    for (const b of conn.takeOutput()) if (!socket.destroyed) socket.write(b);
  };
  const handle = (events: ConnectionEvent[]): void => {
    flush();
    for (const ev of events) {
      if (ev.type === 'established') established(ev.peer);
      else if (ev.type === 'closed') {
        closed({ code: ev.code, reason: ev.reason, byPeer: ev.byPeer });
        socket.end();
      } else if (ev.frame.kind === 'message') {
        const m = ev.frame.msg;
        const w = waiters.findIndex((x) => x.dest.node === m.dest.id.node && x.dest.serial === m.dest.id.serial);
        if (w >= 0) waiters.splice(w, 1)[0]?.resolve(m);
        else {
          peer.messages.push(m);
          onMessage(peer, m);
        }
      }
    }
  };
  socket.setNoDelay(true);
  socket.on('data', (d: Buffer) => {
    const bytes = new Uint8Array(d);
    peer.received.push(bytes);
    handle(conn.receive(bytes));
  });
  socket.on('close', () => closed({ code: 'lost', reason: 'socket closed', byPeer: true }));
  socket.on('error', () => {});
  handle(conn.start());
  return peer;
}

/** Deterministic nonces, different per node. */
function seeded(node: number): (n: number) => Uint8Array<ArrayBuffer> {
  let x = node * 7919 + 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };
}

/** The frames in bytes a peer received after its handshake (HELLO and AUTH dropped): what the link carried. */
export function linkFrames(p: Peer): string[] {
  const r = new FrameReader(1 << 26);
  const all = p.received.flatMap((b) => r.push(b));
  return all.filter((f) => f.kind !== FrameKind.HELLO && f.kind !== FrameKind.AUTH).map((f) => `${f.kind}:${Buffer.from(f.payload).toString('hex')}`);
}

export interface ServerNode {
  node: number;
  port: number;
  peers: Peer[];
  close(): Promise<void>;
}

/**
 * A node serving io_read on the identity (node, 1): it answers with `amount`
 * bytes of a pattern. With `callBack`, before answering it sends its client
 * a nested io_read on the identity the request names in its first port item
 * (none here: the callback port is (client node, 2)) and waits for that reply.
 */
export async function startServerNode(node: number, opts: { callBack?: PortId } = {}): Promise<ServerNode> {
  const peers: Peer[] = [];
  let serial = 100;
  const server: Server = createServer((s) => {
    peers.push(
      attach(node, s, (p, m) => {
        void (async () => {
          const req = io.routine('io_read').decodeRequest(asMach(m));
          if (opts.callBack !== undefined) {
            const reply = { node, serial: ++serial };
            p.send(ioReadRequest(opts.callBack, reply, 0n, 4n));
            await p.next(reply);
          }
          const n = Number(req.args.amount);
          const data = new Uint8Array(n).map((_, i) => 0x61 + (i % 26));
          if (m.reply.tag === 'port') p.send(ioReadReply(m.reply.id, data));
        })();
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    node,
    port: (server.address() as AddressInfo).port,
    peers,
    close: () =>
      new Promise<void>((r) => {
        for (const p of peers) p.socket.destroy();
        server.close(() => r());
      }),
  };
}

/** A client node connected to port; it answers nested io_read calls on (node, 2) with 4 bytes "back". */
export function connectClient(node: number, port: number): Peer {
  const s = connect({ host: '127.0.0.1', port });
  return attach(node, s, (p, m) => {
    if (m.msgId === io.routine('io_read').id && m.reply.tag === 'port') p.send(ioReadReply(m.reply.id, new TextEncoder().encode('back')));
  });
}

/** A wire message as a server task would receive it (header ports as names, for MIG decoding). */
function asMach(m: WireMessage): MachMessage {
  return {
    header: { bits: { remote: 0, local: 0, complex: false, other: 0 }, remotePort: 0, localPort: 0, seqno: 0, id: m.msgId },
    items: m.items.map((it) => {
      if (it.kind !== 'data') throw new Error('test peer: only data items');
      return { kind: 'data', type: { name: it.name, size: it.size, number: it.count, inline: true, longform: it.longform, deallocate: false }, data: it.data };
    }),
  };
}

function wire(msg: MachMessage, dest: { right: 'send' | 'sendOnce'; id: PortId }, reply: PortId | null): WireMessage {
  const h = msg.header;
  const recvForm: MachMessage = {
    ...msg,
    header: { ...h, bits: { ...h.bits, remote: reply === null ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE }, remotePort: reply === null ? 0 : 1 },
  };
  return toWireMessage(recvForm, [], dest, (_n, right) => ({ tag: 'port', right, id: reply as PortId }) as never);
}

export function ioReadRequest(dest: PortId, reply: PortId, offset: bigint, amount: bigint): WireMessage {
  const args: MigArgs = { io_object: 0, offset, amount };
  return wire(io.routine('io_read').encodeRequest(args), { right: 'send', id: dest }, reply);
}

export function ioReadReply(to: PortId, data: Uint8Array): WireMessage {
  return wire(io.routine('io_read').encodeReply({ retCode: 0, data }), { right: 'sendOnce', id: to }, null);
}
