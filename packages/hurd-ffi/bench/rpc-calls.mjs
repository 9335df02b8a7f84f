// The kernel calls of one null RPC through two netmsg-server nodes, on two
// sim kernels, as netmsg-server's driver makes them today (traced from
// bench/rpc-inproc.mjs there: io_server_version, 15 calls + one port-deleted
// notification per RPC). No sockets, no netmsg machine: only hurd-ffi's cost.
//
//   taskset -c 0 node bench/rpc-calls.mjs [N] [ROUNDS]
//   HURD_FFI_DIST=/work/main/packages/hurd-ffi/dist taskset -c 0 node bench/rpc-calls.mjs
//   HURD_FFI_BASE=/work/main/packages/hurd-ffi/dist taskset -c 0 node bench/rpc-calls.mjs
//
// Prints the median over ROUNDS of CPU us (user+system) and wall us per RPC.
// With HURD_FFI_BASE, that build runs too, in the same process, its rounds
// alternating with this one's (a paired A/B that process start-up and the
// machine's drift fall on alike), and the ratio of the medians is printed.
// FRESH=1: netmsg and the export task send a fresh buffer each time (as the
// driver's encodeMessage makes one) instead of reusing one; DONATE=1 (implies
// FRESH) also passes MsgArgs.donate on those sends (a kernel without it
// ignores the field).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = process.env.HURD_FFI_DIST ?? join(here, '../dist');
const base = process.env.HURD_FFI_BASE;
const N = Number(process.argv[2] ?? 20000);
const ROUNDS = Number(process.argv[3] ?? 5);
const DONATE = process.env.DONATE === '1';
const FRESH = DONATE || process.env.FRESH === '1';
/** The bytes a netmsg or export send passes (see FRESH / DONATE above). */
const out = (b) => (FRESH ? b.slice() : b);

const SEND = 1;
const RCV = 2;
const SEND_TIMEOUT = 0x10;
const RCV_TIMEOUT = 0x100;
const MOVE_RECEIVE = 16;
const MOVE_SEND_ONCE = 18;
const COPY_SEND = 19;
const MAKE_SEND = 20;
const MAKE_SEND_ONCE = 21;
const RIGHT_RECEIVE = 1;
const RIGHT_PORT_SET = 3;
const DEAD_NAME = 72;
const RCV_SIZE = 4 << 20;

function msg(size, remote, remoteDisp, local, localDisp, id) {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, remoteDisp | (localDisp << 8), true);
  dv.setUint32(4, size, true);
  dv.setUint32(8, remote, true);
  dv.setUint32(16, local, true);
  dv.setInt32(28, id, true);
  return b;
}
const remoteOf = (b) => new DataView(b.buffer, b.byteOffset).getUint32(8, true);
const ok = (kr, what) => {
  if (kr !== 0) throw new Error(`${what}: kr 0x${kr.toString(16)}`);
};

async function world(openKernel) {
  const stop = new AbortController();
  const signal = stop.signal;
  // Client node: the application and its node's netmsg task.
  const a = openKernel({ backend: 'sim', abi: 'x86_64' });
  const app = await a.taskCreate({ name: 'app' });
  const nm1 = await a.taskCreate({ name: 'netmsg' });
  const set1 = (await a.portAllocate(nm1, RIGHT_PORT_SET)).name;
  const notify1 = (await a.portAllocate(nm1, RIGHT_RECEIVE)).name;
  ok(await a.portMoveMember(nm1, notify1, set1), 'move notify');
  const proxy = (await a.portAllocate(nm1, RIGHT_RECEIVE)).name;
  ok(await a.portMoveMember(nm1, proxy, set1), 'move proxy');
  const appSend = (await a.portExtractRight(nm1, proxy, MAKE_SEND, app)).name;
  const appReply = (await a.portAllocate(app, RIGHT_RECEIVE)).name;
  // Server node: its netmsg task and the export task serving the file.
  const b = openKernel({ backend: 'sim', abi: 'x86_64' });
  const nm2 = await b.taskCreate({ name: 'netmsg' });
  const exp = await b.taskCreate({ name: 'export' });
  const set2 = (await b.portAllocate(nm2, RIGHT_PORT_SET)).name;
  const eset = (await b.portAllocate(exp, RIGHT_PORT_SET)).name;
  const file = (await b.portAllocate(exp, RIGHT_RECEIVE)).name;
  ok(await b.portMoveMember(exp, file, eset), 'move file');
  const fileSend = (await b.portExtractRight(exp, file, MAKE_SEND, nm2)).name;
  const request = msg(32, appSend, COPY_SEND, appReply, MAKE_SEND_ONCE, 21000);
  const forwarded = msg(32, fileSend, COPY_SEND, 0, MOVE_SEND_ONCE, 21000);
  const replyBytes = msg(1128, 0, MOVE_SEND_ONCE, 0, 0, 21100);
  const rcv1 = () => a.msg(nm1, { options: RCV, rcvName: set1, rcvSize: RCV_SIZE, signal });
  const rcv2 = () => b.msg(nm2, { options: RCV, rcvName: set2, rcvSize: RCV_SIZE, signal });
  const rcvE = () => b.msg(exp, { options: RCV, rcvName: eset, rcvSize: RCV_SIZE, signal });
  let r1 = rcv1();
  let r2 = rcv2();
  let rE = rcvE();
  let name = 0x10000066;
  const rpc = async () => {
    const call = a.msg(app, { options: SEND | RCV | RCV_TIMEOUT, send: request, rcvName: appReply, rcvSize: RCV_SIZE, timeout: 30000, signal });
    const m1 = await r1;
    ok(m1.kr, 'netmsg 1 receive');
    const so = remoteOf(m1.message);
    ok((await a.portRequestNotification(nm1, so, DEAD_NAME, 0, notify1, MAKE_SEND_ONCE)).kr, 'dead-name request');
    r1 = rcv1();
    // The server node makes the reply's send-once proxy (allocate_name, into the set, a send-once right).
    const proxyName = name;
    const soName = name + 1;
    name += 2;
    const al = await b.portAllocate(nm2, RIGHT_RECEIVE);
    ok(al.kr, 'allocate');
    ok(await b.portInsertRight(nm2, proxyName, al.name, MOVE_RECEIVE), 'allocate_name');
    ok(await b.portMoveMember(nm2, proxyName, set2), 'into set');
    ok(await b.portInsertRight(nm2, soName, proxyName, MAKE_SEND_ONCE), 'send-once');
    new DataView(forwarded.buffer).setUint32(16, soName, true);
    ok((await b.msg(nm2, { options: SEND, send: out(forwarded), donate: DONATE })).kr, 'deliver');
    await b.portGetReceiveStatus(nm2, fileSend);
    const mE = await rE;
    ok(mE.kr, 'export receive');
    rE = rcvE();
    new DataView(replyBytes.buffer).setUint32(8, remoteOf(mE.message), true);
    ok((await b.msg(exp, { options: SEND | SEND_TIMEOUT, timeout: 0, send: out(replyBytes), donate: DONATE })).kr, 'reply');
    const m2 = await r2;
    ok(m2.kr, 'netmsg 2 receive');
    ok(await b.portDestroy(nm2, proxyName), 'destroy proxy');
    r2 = rcv2();
    // Back on the client node: the reply on the send-once right (its dead-name request becomes port-deleted).
    new DataView(replyBytes.buffer).setUint32(8, so, true);
    ok((await a.msg(nm1, { options: SEND, send: out(replyBytes), donate: DONATE })).kr, 'reply home');
    const pd = await r1;
    ok(pd.kr, 'port-deleted');
    r1 = rcv1();
    const done = await call;
    ok(done.kr, 'rpc');
  };
  const close = async () => {
    stop.abort();
    await Promise.allSettled([r1, r2, rE]);
    await a.close();
    await b.close();
  };
  return { rpc, close };
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

async function measure(label, dir) {
  const { openKernel } = await import(join(dir, 'index.js'));
  const w = await world(openKernel);
  for (let i = 0; i < 2000; i++) await w.rpc();
  return { label, dir, w, cpu: [], wall: [] };
}

async function round(m) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await m.w.rpc();
  m.wall.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  const u = process.cpuUsage(c0);
  m.cpu.push((u.user + u.system) / N);
}

const runs = [await measure('this', dist)];
if (base !== undefined) runs.unshift(await measure('base', base));
for (let r = 0; r < ROUNDS; r++) for (const m of runs) await round(m);
for (const m of runs) await m.w.close();
const mode = DONATE ? ', donate' : FRESH ? ', fresh' : '';
for (const m of runs) {
  console.log(
    `rpc-calls ${m.label} (${m.dir}${mode}): median of ${ROUNDS} x ${N}: ${median(m.cpu).toFixed(2)} us/rpc CPU, ${median(m.wall).toFixed(2)} us/rpc wall; CPU rounds ${m.cpu.map((x) => x.toFixed(2)).join(' ')}`,
  );
}
if (runs.length === 2) console.log(`this/base CPU: ${(median(runs[1].cpu) / median(runs[0].cpu)).toFixed(3)}`);
