#!/usr/bin/env node
/**
 * The toolkit's main idea in one run: one memory object (a 2-page "file")
 * mapped by tasks on two simulated GNU Mach kernels (node A x86_64, node B
 * i386), kept coherent by pager-core's sans-IO engine.
 *
 * Each node has a pager task holding the memory-object port. A small driver
 * receives the kernel's memory_object messages there, turns them into engine
 * events (messageToEvent), runs engine.handle, and performs the actions:
 * kernel-bound ones become mach messages (actionToMessage + mach_msg send),
 * store-bound ones read or write an in-memory Uint8Array.
 *
 * Why two kernels: within one kernel every mapping of an object shares its
 * resident pages (GNU Mach sends memory_object_init once per kernel), so
 * the pager never sees a second task. Coherence between kernels is what the
 * engine exists for.
 *
 * Then netmsg-wire: two nodes (i386, x86_64) joined by an in-memory byte
 * stream run the authenticated handshake and carry one message holding a
 * send right; every frame is printed. The netmsg actions meant for a kernel
 * (allocatePort, makeSend, ...) are printed, not performed: no kernel there.
 *
 * Usage: node scripts/demo.mjs   (packages must be built: turbo run build)
 * Exits 0 on success, 1 with "demo failed: ..." on any failed call or check.
 */
import {
  decodeMessage,
  encodeMessage,
  lookupMsgId,
  KERN_SUCCESS,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_PORT_RIGHT_RECEIVE,
  MACH_RCV_MSG,
  MACH_RCV_TIMEOUT,
  MACH_RCV_TIMED_OUT,
  MACH_SEND_MSG,
} from '../packages/mach-msg/dist/index.js';
import { openKernel, VirtualClock, checkInvariants, PAGE_SIZE } from '../packages/hurd-ffi/dist/index.js';
import { PagerEngine, messageToEvent, actionToMessage, isKernelAction } from '../packages/pager-core/dist/index.js';
import { Connection, NetmsgNode, FrameReader, FrameKind, withLimits, DEFAULT_LIMITS } from '../packages/netmsg-wire/dist/index.js';

const PAGES = 2;
/** Upper bound on driver rounds per client operation: the demo never spins. */
const MAX_ROUNDS = 2000;
/** Empty rounds after an operation settles, to collect stragglers (lock_completed). */
const QUIET_ROUNDS = 3;

class DemoError extends Error {}

function check(kr, what) {
  if (kr !== KERN_SUCCESS) throw new DemoError(`${what} failed: kern_return 0x${kr.toString(16)}`);
}

const yieldTurn = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------- output

function say(text) {
  console.log(text);
}

const PROT = { 0: 'none', 1: 'read', 2: 'write', 3: 'read|write', 8: 'no change' };
const prot = (v) => PROT[v] ?? `0x${v.toString(16)}`;

/** Arguments of a kernel -> pager message, from the event the engine gets. */
function eventArgs(ev) {
  const range = (page, count) => `offset ${page * PAGE_SIZE}, length ${count * PAGE_SIZE}`;
  switch (ev.kind) {
    case 'init':
      return `page size ${ev.pageSize}`;
    case 'dataRequest':
    case 'dataUnlock':
      return `${range(ev.page, ev.count)}, access ${ev.access}`;
    case 'dataReturn':
      return `${range(ev.page, ev.data.length)}, ${ev.dirty ? 'dirty' : 'clean'}${ev.kernelCopy ? ', kernel copy' : ''}`;
    case 'lockCompleted':
      return range(ev.page, ev.count);
    default:
      return '';
  }
}

/** Arguments of a pager -> kernel message, from the engine's action. */
function actionArgs(a) {
  switch (a.kind) {
    case 'ready':
      return `may cache ${a.mayCache ? 'yes' : 'no'}, copy strategy ${a.copyStrategy}`;
    case 'dataSupply':
      return `offset ${a.page * PAGE_SIZE}, length ${PAGE_SIZE}, lock ${prot(a.lockValue)}${a.precious ? ', precious' : ''}`;
    case 'lockRequest':
      return (
        `offset ${a.page * PAGE_SIZE}, length ${a.count * PAGE_SIZE}, return ${a.shouldReturn}` +
        `${a.flush ? ', flush' : ''}, lock ${prot(a.lockValue)}${a.reply ? ', reply' : ''}`
      );
    case 'dataError':
      return `offset ${a.page * PAGE_SIZE}, length ${a.count * PAGE_SIZE}, error 0x${a.error.toString(16)}`;
    case 'dataUnavailable':
      return `offset ${a.page * PAGE_SIZE}, length ${a.count * PAGE_SIZE}`;
    default:
      return '';
  }
}

const routine = (id) => lookupMsgId(id)?.routine ?? `msg ${id}`;

// ---------------------------------------------------------------- nodes

/**
 * One simulated kernel with a pager task (memory-object port, reply port)
 * and a client task holding a send right to the memory object.
 */
async function makeNode(label, abi) {
  const kernel = openKernel({ abi, clock: new VirtualClock() });
  const node = { label, abi, kernel, sent: 0, controls: new Map() };
  // Count every memory_object message the kernel sees sent, as an independent
  // check of the driver's own log (kernel-made messages have task 0).
  kernel.observe((e) => {
    if (e.phase === 'send' && isMemoryObjectId(e.msgId)) node.sent++;
  });
  node.pager = await kernel.taskCreate({ name: `pager-${label}` });
  node.client = await kernel.taskCreate({ name: `client-${label}` });
  const mo = await kernel.portAllocate(node.pager, MACH_PORT_RIGHT_RECEIVE);
  check(mo.kr, `node ${label}: port allocate (memory object)`);
  node.memoryObject = mo.name;
  const reply = await kernel.portAllocate(node.pager, MACH_PORT_RIGHT_RECEIVE);
  check(reply.kr, `node ${label}: port allocate (reply)`);
  node.replyPort = reply.name;
  const right = await kernel.portExtractRight(node.pager, mo.name, MACH_MSG_TYPE_MAKE_SEND, node.client);
  check(right.kr, `node ${label}: give the client a send right`);
  node.clientObject = right.name;
  return node;
}

function isMemoryObjectId(id) {
  // memory_object (2200-2209) and the pager-to-kernel calls of `mach` (2039-2095).
  return (id >= 2200 && id <= 2209) || (id >= 2039 && id <= 2095);
}

// ---------------------------------------------------------------- the pager

/** The pager: one engine, one backing store, kernels named by (node, control port). */
function makePager(nodes) {
  const engine = new PagerEngine({ pageSize: PAGE_SIZE });
  const file = new Uint8Array(PAGES * PAGE_SIZE);
  const kernels = []; // engine KernelId - 1 -> { node, control }
  const stats = { messages: 0, store: 0 };

  function kernelId(node, control) {
    const known = node.controls.get(control);
    if (known !== undefined) return known;
    kernels.push({ node, control });
    node.controls.set(control, kernels.length);
    return kernels.length;
  }
  function kernelOf(id) {
    const k = kernels[id - 1];
    if (k === undefined) throw new DemoError(`engine named unknown kernel ${id}`);
    return k;
  }

  /** Backing store: the engine's store actions, answered at once. */
  function store(a) {
    stats.store++;
    switch (a.kind) {
      case 'readPage':
        say(`          pager  -> store   read page ${a.page}`);
        return { kind: 'readDone', page: a.page, data: file.slice(a.page * PAGE_SIZE, (a.page + 1) * PAGE_SIZE), writeLock: false };
      case 'writePage':
        say(`          pager  -> store   write page ${a.page}`);
        file.set(a.data, a.page * PAGE_SIZE);
        return { kind: 'writeDone', seq: a.seq };
      case 'unlockPage':
        say(`          pager  -> store   unlock page ${a.page}: granted`);
        return { kind: 'unlockDone', page: a.page };
      default:
        return undefined; // completed / evicted / evictKernel: nothing to do here
    }
  }

  /** Sends a kernel-bound action on the kernel's control port. */
  async function toKernel(a) {
    const { node, control } = kernelOf(a.kernel);
    const { kernel, pager, abi } = node;
    let placed;
    if (a.kind === 'dataSupply') {
      // Out-of-line data must live in the pager's address space first.
      const buf = await kernel.vmAllocate(pager, 0, PAGE_SIZE, true);
      check(buf.kr, `node ${node.label}: vm_allocate for data_supply`);
      check(await kernel.vmWrite(pager, buf.address, a.data), `node ${node.label}: vm_write for data_supply`);
      placed = { address: BigInt(buf.address), bytes: PAGE_SIZE, deallocate: true };
    }
    const msg = actionToMessage(
      { ...a, kernel: control },
      { abi, pageSize: PAGE_SIZE, placeData: () => placed, replyPort: () => node.replyPort },
    );
    say(`  node ${node.label}  pager -> kernel  ${routine(msg.header.id)}(${actionArgs(a)})`);
    stats.messages++;
    const r = await kernel.msg(pager, { options: MACH_SEND_MSG, send: encodeMessage(msg, abi) });
    check(r.kr, `node ${node.label}: send ${routine(msg.header.id)}`);
  }

  /** Runs an event through the engine and performs every action, in order. */
  async function run(first) {
    const queue = [first];
    while (queue.length > 0) {
      const ev = queue.shift();
      for (const a of engine.handle(ev)) {
        if (isKernelAction(a)) await toKernel(a);
        else if (a.kind === 'evictKernel') throw new DemoError(`engine evicted kernel ${a.kernel}`);
        else {
          const done = store(a);
          if (done !== undefined) queue.push(done);
        }
      }
    }
  }

  /** data_return: the pages are out of line in the pager task; read them first. */
  async function returnedPages(node, msg) {
    const ool = msg.items.find((i) => i.kind === 'ool');
    if (ool === undefined) return [];
    const bytes = ool.type.number * (ool.type.size / 8);
    const got = await node.kernel.vmRead(node.pager, Number(ool.address), bytes);
    check(got.kr, `node ${node.label}: vm_read of returned data`);
    // The kernel set the dealloc bit: the region is the pager's to free.
    check(await node.kernel.vmDeallocate(node.pager, Number(ool.address), bytes), `node ${node.label}: vm_deallocate`);
    const pages = [];
    for (let at = 0; at < bytes; at += PAGE_SIZE) pages.push(got.data.slice(at, at + PAGE_SIZE));
    return pages;
  }

  /** Receives one message on `port` without blocking; true if one was handled. */
  async function receiveOne(node, port) {
    const r = await node.kernel.msg(node.pager, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: port, timeout: 0 });
    if (r.kr === MACH_RCV_TIMED_OUT) return false;
    check(r.kr, `node ${node.label}: receive`);
    const msg = decodeMessage(r.message, node.abi);
    const pages = msg.header.id === 2208 ? await returnedPages(node, msg) : [];
    const ev = messageToEvent(msg, { pageSize: PAGE_SIZE, readPages: () => pages });
    stats.messages++;
    if (ev === undefined) {
      say(`  node ${node.label}  kernel -> pager  ${routine(msg.header.id)} (ignored)`);
      return true;
    }
    say(`  node ${node.label}  kernel -> pager  ${routine(msg.header.id)}(${eventArgs(ev)})`);
    if ('kernel' in ev) ev.kernel = kernelId(node, ev.kernel);
    await run(ev);
    return true;
  }

  /** One driver round: drain both ports of every node. */
  async function round() {
    let any = false;
    for (const node of nodes) {
      while ((await receiveOne(node, node.memoryObject)) || (await receiveOne(node, node.replyPort))) any = true;
    }
    return any;
  }

  /**
   * Serves the object until `op` (a client's fault) has settled and the
   * ports stay quiet; bounded, so a lost message is an error, not a hang.
   */
  async function serve(op) {
    let settled = false;
    const watched = op.then(
      (v) => ((settled = true), { ok: true, v }),
      (e) => ((settled = true), { ok: false, e }),
    );
    let quiet = 0;
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const busy = await round();
      quiet = busy || !settled ? 0 : quiet + 1;
      if (quiet >= QUIET_ROUNDS) {
        const out = await watched;
        if (!out.ok) throw out.e;
        return out.v;
      }
      await yieldTurn();
    }
    throw new DemoError(`no progress after ${MAX_ROUNDS} driver rounds (a message was lost?)`);
  }

  return { engine, file, stats, serve };
}

// ---------------------------------------------------------------- part 2: netmsg-wire

const FRAME_NAMES = Object.fromEntries(Object.entries(FrameKind).map(([k, v]) => [v, k]));
const portText = (r) => (r.tag === 'port' ? `${r.right} right to port ${r.id.node}.${r.id.serial}` : r.tag);

/** One line per wire item of a MESSAGE frame. */
function wireItems(msg) {
  return msg.items
    .map((it) => (it.kind === 'ports' ? it.ports.map(portText).join(', ') : `${it.kind} ${it.data.length} bytes`))
    .join('; ');
}

/** A node's netmsg: the link end (Connection) and the state machine (NetmsgNode). */
function makeNetmsgEnd(node, abi, peer, secret, limits) {
  return {
    node,
    abi,
    peer,
    conn: new Connection({ node, abi, secret, limits }),
    netmsg: new NetmsgNode({ node, abi, limits }),
    // A second frame reader on the outgoing bytes, only to print the frames.
    tap: new FrameReader(limits.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes),
    delivered: [],
    root: 0,
  };
}

/** Performs a node's actions on the link; the kernel-side ones are only printed. */
function perform(end, actions) {
  for (const a of actions) {
    switch (a.type) {
      case 'sendFrame':
        end.conn.send(a.frame);
        break;
      case 'rootImported':
        end.root = a.name;
        break;
      case 'deliver':
        end.delivered.push(a.msg);
        if (a.token) perform(end, end.netmsg.handle({ type: 'delivered', token: a.token }));
        break;
      case 'closeLink':
        throw new DemoError(`node ${end.node} closed the link: ${a.code}: ${a.reason}`);
      default:
        say(`    node ${end.node} netmsg -> its kernel: ${a.type}${'name' in a ? ` 0x${a.name.toString(16)}` : ''}`);
    }
  }
}

function nodeEvent(peer, ev) {
  if (ev.type === 'established') return { type: 'linkUp', peer, window: ev.peer.window };
  if (ev.type === 'frame') return { type: 'frame', peer, frame: ev.frame };
  throw new DemoError(`link to node ${peer} closed: ${ev.code}: ${ev.reason}`);
}

/** Moves bytes both ways until the link is quiet, printing every frame. */
function pumpLink(ends) {
  for (let moved = true, rounds = 0; moved; rounds++) {
    if (rounds > 100) throw new DemoError('the link never went quiet');
    moved = false;
    for (const [from, to] of [[ends[0], ends[1]], [ends[1], ends[0]]]) {
      for (const bytes of from.conn.takeOutput()) {
        moved = true;
        const frames = from.tap.push(bytes);
        const events = to.conn.receive(bytes);
        for (const f of frames) {
          const name = FRAME_NAMES[f.kind] ?? `kind ${f.kind}`;
          say(`  node ${from.node} (${from.abi}) -> node ${to.node} (${to.abi})  ${name.padEnd(7)} ${String(f.payload.length + 5).padStart(3)} bytes`);
        }
        for (const ev of events) {
          if (ev.type === 'frame' && ev.frame.kind === 'message') {
            const m = ev.frame.msg;
            say(`      msg id ${m.msgId} to ${portText({ tag: 'port', ...m.dest })}: ${wireItems(m)}`);
          } else if (ev.type === 'frame') {
            say(`      control ${JSON.stringify(ev.frame.control)}`);
          }
          perform(to, to.netmsg.handle(nodeEvent(to.peer, ev)));
        }
      }
    }
  }
}

/**
 * Node 1 (i386) sends a message carrying a send right to node 2 (x86_64):
 * the right crosses as a cluster-wide identity, node 2 gets a proxy for it.
 */
async function netmsgDemo() {
  say('');
  say('netmsg-wire: node 1 (i386) sends node 2 (x86_64) a message carrying a send right');
  const secret = new TextEncoder().encode('demo cluster secret');
  const limits = withLimits({ portWindow: 4 });
  const n1 = makeNetmsgEnd(1, 'i386', 2, secret, limits);
  const n2 = makeNetmsgEnd(2, 'x86_64', 1, secret, limits);
  const ends = [n1, n2];
  n1.conn.start();
  n2.conn.start();
  pumpLink(ends); // HELLO + AUTH both ways
  perform(n2, n2.netmsg.handle({ type: 'publishRoot', name: 0x103 }));
  perform(n1, n1.netmsg.handle({ type: 'importRoot', peer: 2 }));
  if (n1.root === 0) throw new DemoError('node 1 got no proxy for node 2\'s root port');
  // What netmsg on node 1 received on the proxy: id 4242, a send right (0x40
  // in netmsg's space, MACH_MSG_TYPE_PORT_SEND) and an int.
  const value = new Uint8Array([0x2a, 0, 0, 0]);
  const msg = {
    header: { bits: { remote: 0, local: 17, complex: true, other: 0 }, remotePort: 0, localPort: n1.root, seqno: 0, id: 4242 },
    items: [
      { kind: 'ports', type: { name: 17, size: 32, number: 1, inline: true, longform: false, deallocate: false }, names: [0x40] },
      { kind: 'data', type: { name: 2, size: 32, number: 1, inline: true, longform: false, deallocate: false }, data: value },
    ],
  };
  say(
    `  node 1 netmsg receives msg id 4242 on proxy 0x${n1.root.toString(16)} (${encodeMessage(msg, 'i386').length} bytes, i386): ` +
      'send right 0x40 (32-bit name), int 42',
  );
  perform(n1, n1.netmsg.handle({ type: 'portMessage', port: n1.root, msg, ool: [] }));
  pumpLink(ends);
  if (n2.delivered.length !== 1) throw new DemoError(`node 2 delivered ${n2.delivered.length} messages, expected 1`);
  const got = n2.delivered[0];
  const ports = got.items.find((i) => i.kind === 'ports');
  if (got.header.id !== 4242 || ports === undefined || ports.type.size !== 64) {
    throw new DemoError('node 2 did not get message 4242 with an 8-byte port name');
  }
  const bytes = encodeMessage(got, 'x86_64');
  say(
    `  node 2 delivers msg id ${got.header.id} to 0x${got.header.remotePort.toString(16)} in its ABI: ${bytes.length} bytes, ` +
      `the right as proxy name 0x${ports.names[0].toString(16)} (64-bit)`,
  );
}

// ---------------------------------------------------------------- the scenario

// Strings are written C-style, NUL-terminated, so a shorter write ends the text.
const cstr = (s) => new TextEncoder().encode(s + '\0');
const text = (bytes) => { const n = bytes.indexOf(0); return new TextDecoder().decode(n < 0 ? bytes : bytes.subarray(0, n)); };

async function main() {
  const started = process.hrtime.bigint();
  const A = await makeNode('A', 'x86_64');
  const B = await makeNode('B', 'i386');
  const nodes = [A, B];
  const pager = makePager(nodes);
  const faults = [];

  /** A client operation: prints its title, serves it, records its message count. */
  async function step(title, op) {
    say(`${title}`);
    const before = pager.stats.messages;
    const result = await pager.serve(op());
    faults.push({ title, messages: pager.stats.messages - before });
    return result;
  }

  say('hurd-cluster demo: one memory object, two GNU Mach kernels (simulated), pager-core engine');
  say(`node A: x86_64 kernel, node B: i386 kernel; object: ${PAGES} pages of ${PAGE_SIZE} bytes`);
  say('');

  const mapA = await step('A: vm_map the object', () =>
    A.kernel.vmMap(A.client, { memoryObject: A.clientObject, offset: 0, size: PAGES * PAGE_SIZE, anywhere: true }),
  );
  check(mapA.kr, 'node A: vm_map');
  const mapB = await step('B: vm_map the object', () =>
    B.kernel.vmMap(B.client, { memoryObject: B.clientObject, offset: 0, size: PAGES * PAGE_SIZE, anywhere: true }),
  );
  check(mapB.kr, 'node B: vm_map');

  const greeting = 'hello from node A';
  check(
    await step(`A: write "${greeting}" at page 0 (write fault)`, () =>
      A.kernel.vmWrite(A.client, mapA.address, cstr(greeting)),
    ),
    'node A: vm_write',
  );

  const readB = await step('B: read page 0 (read fault; A holds write access)', () => B.kernel.vmRead(B.client, mapB.address, 32));
  check(readB.kr, 'node B: vm_read');
  say(`  B reads "${text(readB.data)}"`);

  const reply = 'B was here';
  check(
    await step(`B: write "${reply}" at page 0 (write to its read-only copy)`, () =>
      B.kernel.vmWrite(B.client, mapB.address, cstr(reply)),
    ),
    'node B: vm_write',
  );
  const readA = await step('A: read page 0 (read fault; B holds write access)', () => A.kernel.vmRead(A.client, mapA.address, 32));
  check(readA.kr, 'node A: vm_read');
  say(`  A reads "${text(readA.data)}"`);

  const readB2 = await step('B: read page 0 again (A holds a read copy: no conflict)', () => B.kernel.vmRead(B.client, mapB.address, 32));
  check(readB2.kr, 'node B: vm_read');
  const last = 'A again';
  check(
    await step(`A: write "${last}" at page 0 (B's read copy must go first)`, () =>
      A.kernel.vmWrite(A.client, mapA.address, cstr(last)),
    ),
    'node A: vm_write',
  );
  check(
    await step('A: vm_deallocate its mapping (the last one on node A)', () =>
      A.kernel.vmDeallocate(A.client, mapA.address, PAGES * PAGE_SIZE),
    ),
    'node A: vm_deallocate',
  );
  const expectedA = reply; // each write is NUL-terminated
  const expectedFile = last;
  say(`  the file now holds "${text(pager.file.subarray(0, 32))}"`);

  // Checks: what each side saw, kernels sound, driver log matches the kernels' own count.
  const problems = [];
  if (text(readB.data) !== greeting) problems.push(`B read "${text(readB.data)}", expected "${greeting}"`);
  if (text(readA.data) !== expectedA) problems.push(`A read "${text(readA.data)}", expected "${expectedA}"`);
  if (text(readB2.data) !== expectedA) problems.push(`B read "${text(readB2.data)}" again, expected "${expectedA}"`);
  if (text(pager.file.subarray(0, 32)) !== expectedFile) problems.push(`the file holds "${text(pager.file.subarray(0, 32))}", expected "${expectedFile}"`);
  for (const n of nodes) for (const p of checkInvariants(n.kernel)) problems.push(`node ${n.label} kernel: ${p}`);
  const observed = A.sent + B.sent;
  if (observed !== pager.stats.messages) problems.push(`driver logged ${pager.stats.messages} messages, kernels saw ${observed}`);
  if (problems.length > 0) throw new DemoError(problems.join('\n'));

  say('');
  say('messages per fault (kernel <-> pager, both directions):');
  for (const f of faults) say(`  ${String(f.messages).padStart(2)}  ${f.title}`);
  say(`  total ${pager.stats.messages} messages (kernels' observe hook agrees), ${pager.stats.store} store operations`);
  for (const n of nodes) await n.kernel.close();
  await netmsgDemo();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stderr.write(`(done in ${ms.toFixed(0)} ms)\n`);
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (e) => {
    console.error(`demo failed: ${e instanceof DemoError ? e.message : (e?.stack ?? String(e))}`);
    process.exitCode = 1;
  },
);
