// The RPC storm: N null RPCs (io_readable: a request with no body, a reply
// with one integer) between two tasks of a simulated kernel, as a program
// would make them. Prints the loop's wall time and this process's CPU time, in ms.
// Usage: node bench/storm-app.mjs N [--trace-kernel=file:PATH|summary] [--worker] [--varied]
//   (--varied: varied-rpcs.mjs's storm, io_read and io_readable in turn, every RPC different)
//   (--trace-kernel: trace in-process with the library's traceKernel; --worker: its worker-thread mode)
//   STORM_RPCTRACE_DIST=DIR: the library from DIR (a before-build, for paired runs) instead of ../dist
import { closeSync, openSync, writeSync } from 'node:fs';
import { variedRpcs } from './varied-rpcs.mjs';
import { openKernel, VirtualClock } from 'hurd-ffi';
import {
  decodeMessage, encodeMessage, getBuiltinInterface,
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_PORT_RIGHT_RECEIVE, MACH_RCV_MSG, MACH_SEND_MSG,
} from 'mach-msg';

const n = Number(process.argv[2] ?? 1000);
const lib = process.argv.find((a) => a.startsWith('--trace-kernel='))?.slice('--trace-kernel='.length);
const worker = process.argv.includes('--worker');
const k = openKernel({ clock: new VirtualClock() });
let stop = () => {};
if (lib !== undefined) {
  const dist = process.env.STORM_RPCTRACE_DIST;
  const { traceKernel } = await import(dist === undefined ? '../dist/index.js' : new URL(`file://${dist}/index.js`).href);
  if (lib === 'summary') {
    const t = traceKernel(k, { summary: true, worker, write: () => {} });
    stop = () => t.stop();
  } else {
    // Output to a file as a program would write it: buffered, 64 KiB at a time.
    const fd = openSync(lib.replace(/^file:/, ''), 'w');
    let buf = '';
    const t = traceKernel(k, {
      worker,
      write: (s) => {
        buf += s;
        if (buf.length >= 65536) {
          writeSync(fd, buf);
          buf = '';
        }
      },
    });
    stop = () => {
      t.stop();
      writeSync(fd, buf);
      closeSync(fd);
    };
  }
}
const io = getBuiltinInterface('io', k.abi).routine('io_readable');
const server = await k.taskCreate();
const client = await k.taskCreate();
const { name: port } = await k.portAllocate(server, MACH_PORT_RIGHT_RECEIVE);
await k.portInsertRight(client, 0x70, port, MACH_MSG_TYPE_MAKE_SEND, server);
const { name: reply } = await k.portAllocate(client, MACH_PORT_RIGHT_RECEIVE);
const req = io.encodeRequest({ io_object: 0x70 });
req.header.localPort = reply;
req.header.bits = { ...req.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
const reqBytes = encodeMessage(req, k.abi);
const rep = io.encodeReply({ retCode: 0, amount: 0n });
const varied = process.argv.includes('--varied');
const c0 = process.cpuUsage();
const t0 = performance.now();
if (varied) await variedRpcs(k, server, client, n);
else for (let i = 0; i < n; i++) {
  await k.msg(client, { options: MACH_SEND_MSG, send: reqBytes });
  const got = await k.msg(server, { options: MACH_RCV_MSG, rcvName: port, rcvSize: 4096 });
  rep.header.remotePort = decodeMessage(got.message, k.abi).header.remotePort;
  await k.msg(server, { options: MACH_SEND_MSG, send: encodeMessage(rep, k.abi) });
  await k.msg(client, { options: MACH_RCV_MSG, rcvName: reply, rcvSize: 4096 });
}
const ms = performance.now() - t0;
stop();
const cpu = process.cpuUsage(c0);
await k.close();
// Wall ms of the loop, then CPU ms (user + system) of this process over the loop and the final flush.
process.stdout.write(`${ms.toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`);
