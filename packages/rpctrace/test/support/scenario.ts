/**
 * Records real traces: tasks on hurd-ffi's simulated kernel doing built-in
 * interface RPCs (a server answering io and memory_object routines built with
 * the compiled interfaces), observed through kernel.observe. Event times come
 * from a counter (1 ms per event from a fixed epoch), so traces are the same
 * on every run.
 */
import { openKernel, VirtualClock, type MachKernel, type TaskId } from 'hurd-ffi';
import {
  decodeMessage,
  encodeMessage,
  getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_NOTIFY_DEAD_NAME,
  MACH_NOTIFY_NO_SENDERS,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_SEND_MSG,
  MIG_BAD_ID,
  type Abi,
  type MachMessage,
  type MigArgs,
} from 'mach-msg';
import { traceEventOf, type TraceEvent } from '../../src/index.js';

export const EPOCH = Date.UTC(2026, 10, 28, 12, 0, 0);

export interface Rig {
  kernel: MachKernel;
  abi: Abi;
  events: TraceEvent[];
  server: TaskId;
  /** The server's receive right. */
  serverPort: number;
  /** Send a message from `task`. */
  send(task: TaskId, msg: MachMessage): Promise<number>;
  /** Receive on `name` in `task`. */
  receive(task: TaskId, name: number): Promise<MachMessage>;
  /** A client task with a send right to the server port (name 0x77 + n) and a reply port. */
  client(n: number): Promise<{ task: TaskId; io: number; reply: number }>;
}

export async function makeRig(abi: Abi = 'x86_64', now?: () => number): Promise<Rig> {
  const kernel = openKernel({ abi, clock: new VirtualClock() });
  const events: TraceEvent[] = [];
  let tick = 0;
  const clock = now ?? (() => EPOCH + tick++);
  kernel.observe((e) => events.push(traceEventOf(e, clock())));
  const server = await kernel.taskCreate({ name: 'server' });
  const { name: serverPort } = await kernel.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
  const rig: Rig = {
    kernel,
    abi,
    events,
    server,
    serverPort,
    async send(task, msg) {
      return (await kernel.msg(task, { options: MACH_SEND_MSG, send: encodeMessage(msg, abi) })).kr;
    },
    async receive(task, name) {
      const r = await kernel.msg(task, { options: MACH_RCV_MSG, rcvName: name, rcvSize: 1 << 16 });
      if (r.kr !== 0 || r.message === undefined) throw new Error(`receive failed: ${r.kr}`);
      return decodeMessage(r.message, abi);
    },
    async client(n) {
      const task = await kernel.taskCreate({ name: `client${n}` });
      const io = 0x70 + n;
      const kr = await kernel.portInsertRight(task, io, serverPort, MACH_MSG_TYPE_MAKE_SEND, server);
      if (kr !== 0) throw new Error(`insert right: ${kr}`);
      const { name: reply } = await kernel.portAllocate(task, MACH_PORT_RIGHT_RECEIVE);
      return { task, io, reply };
    },
  };
  return rig;
}

/** A request of a built-in routine with a reply port. */
export function request(abi: Abi, itf: 'io' | 'memory_object', routine: string, args: MigArgs, replyPort: number): MachMessage {
  const r = getBuiltinInterface(itf, abi).routine(routine);
  const m = r.encodeRequest(args);
  if (replyPort !== 0) {
    m.header.localPort = replyPort;
    m.header.bits = { ...m.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
  }
  return m;
}

/** The reply to `req` (as the server received it). */
export function reply(abi: Abi, itf: 'io' | 'memory_object', routine: string, req: MachMessage, args: MigArgs & { retCode?: number }): MachMessage {
  const m = getBuiltinInterface(itf, abi).routine(routine).encodeReply(args);
  m.header.remotePort = req.header.remotePort;
  return m;
}

/** MIG's short error reply (RetCode only), as a server sends for an id it does not know. */
export function badIdReply(abi: Abi, req: MachMessage): MachMessage {
  const m = getBuiltinInterface('io', abi).routine('io_read').encodeReply({ retCode: MIG_BAD_ID });
  m.header.remotePort = req.header.remotePort;
  m.header.id = req.header.id + 100;
  return m;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** io_read answered with data, io_write refused with EACCES. */
export async function ioSession(abi: Abi = 'x86_64'): Promise<TraceEvent[]> {
  const rig = await makeRig(abi);
  const c = await rig.client(1);
  await rig.send(c.task, request(abi, 'io', 'io_read', { io_object: c.io, offset: -1n, amount: 4096n }, c.reply));
  let req = await rig.receive(rig.server, rig.serverPort);
  await rig.send(rig.server, reply(abi, 'io', 'io_read', req, { retCode: 0, data: text('Welcome to the simulated Hurd!\n') }));
  await rig.receive(c.task, c.reply);
  await rig.send(c.task, request(abi, 'io', 'io_write', { io_object: c.io, data: text('hello'), offset: 0n }, c.reply));
  req = await rig.receive(rig.server, rig.serverPort);
  await rig.send(rig.server, reply(abi, 'io', 'io_write', req, { retCode: 0x4000000d }));
  await rig.receive(c.task, c.reply);
  await rig.kernel.close();
  return rig.events;
}

/** Two clients whose replies come back in the opposite order; an unknown id answered MIG_BAD_ID. */
export async function interleavedSession(abi: Abi = 'x86_64'): Promise<TraceEvent[]> {
  const rig = await makeRig(abi);
  const a = await rig.client(1);
  const b = await rig.client(2);
  await rig.send(a.task, request(abi, 'io', 'io_read', { io_object: a.io, offset: 0n, amount: 16n }, a.reply));
  await rig.send(b.task, request(abi, 'io', 'io_seek', { io_object: b.io, offset: 100n, whence: 0 }, b.reply));
  const ra = await rig.receive(rig.server, rig.serverPort);
  const rb = await rig.receive(rig.server, rig.serverPort);
  await rig.send(rig.server, reply(abi, 'io', 'io_seek', rb, { retCode: 0, newp: 100n }));
  await rig.receive(b.task, b.reply);
  await rig.send(rig.server, reply(abi, 'io', 'io_read', ra, { retCode: 0, data: text('0123456789abcdef') }));
  await rig.receive(a.task, a.reply);
  // An id no interface knows, answered as MIG answers it.
  const odd = request(abi, 'io', 'io_readable', { io_object: a.io }, a.reply);
  odd.header.id = 31337;
  await rig.send(a.task, odd);
  const ro = await rig.receive(rig.server, rig.serverPort);
  await rig.send(rig.server, badIdReply(abi, ro));
  await rig.receive(a.task, a.reply);
  await rig.kernel.close();
  return rig.events;
}

/** A simpleroutine (memory_object_data_request), then no-senders and dead-name notifications. */
export async function notifySession(abi: Abi = 'x86_64'): Promise<TraceEvent[]> {
  const rig = await makeRig(abi);
  const c = await rig.client(1);
  const k = rig.kernel;
  const { name: control } = await k.portAllocate(c.task, MACH_PORT_RIGHT_RECEIVE);
  await rig.send(c.task, request(abi, 'memory_object', 'memory_object_data_request', { memory_object: c.io, memory_control: control, offset: 4096n, length: 4096n, desired_access: 1 }, 0));
  await rig.receive(rig.server, rig.serverPort);
  // The server asks for no-senders on its port and a dead-name on the client's reply port.
  const { name: notify } = await k.portAllocate(rig.server, MACH_PORT_RIGHT_RECEIVE);
  let r = await k.portRequestNotification(rig.server, rig.serverPort, MACH_NOTIFY_NO_SENDERS, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  if (r.kr !== 0) throw new Error(`no-senders request: ${r.kr}`);
  const dead = 0x99;
  if ((await k.portInsertRight(rig.server, dead, c.reply, MACH_MSG_TYPE_MAKE_SEND, c.task)) !== 0) throw new Error('insert');
  r = await k.portRequestNotification(rig.server, dead, MACH_NOTIFY_DEAD_NAME, 0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  if (r.kr !== 0) throw new Error(`dead-name request: ${r.kr}`);
  await k.portDeallocate(c.task, c.io);
  await rig.receive(rig.server, notify);
  await k.portDestroy(c.task, c.reply);
  await rig.receive(rig.server, notify);
  await k.close();
  return rig.events;
}

/** vm_map of a memory object a task serves: the kernel's memory_object_init, answered by memory_object_ready. */
export async function pagerSession(abi: Abi = 'x86_64'): Promise<TraceEvent[]> {
  const rig = await makeRig(abi);
  const c = await rig.client(1);
  const mapped = rig.kernel.vmMap(c.task, { memoryObject: c.io, offset: 0, size: 4096, anywhere: true });
  const init = await rig.receive(rig.server, rig.serverPort);
  const mo = getBuiltinInterface('memory_object', abi);
  const args = mo.routine('memory_object_init').decodeRequest(init).args as { memory_control: { name: number } };
  const ready = getBuiltinInterface('mach', abi).routine('memory_object_ready').encodeRequest({ memory_control: args.memory_control.name, may_cache: false, copy_strategy: 0 });
  await rig.send(rig.server, ready);
  await mapped;
  await rig.kernel.close();
  return rig.events;
}
