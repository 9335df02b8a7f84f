// A storm's trace-pipe records as the tap writes them (the task's name once
// per task), captured once from n null RPCs on a simulated kernel: the input
// of the tracer-side benches (consumer.mjs, consume-cold.mjs). `lib` is the
// rpctrace dist to write them with; `t0` the first record's time (ms);
// `varied`: varied-rpcs.mjs's storm (RPCs that all differ) in place of null RPCs.
import { openKernel, VirtualClock } from 'hurd-ffi';
import { nullRpcs } from './null-rpcs.mjs';
import { variedRpcs } from './varied-rpcs.mjs';

export async function stormRecords(lib, n, t0, varied = false) {
  const k = openKernel({ clock: new VirtualClock() });
  const chunks = [];
  let buf = new Uint8Array(1 << 20);
  let used = 0;
  let t = t0;
  const named = new Set();
  k.observe((e) => {
    const ev = lib.traceEventOf(e, (t += 0.003));
    if (named.has(ev.task)) delete ev.taskName;
    else named.add(ev.task);
    const size = lib.wireEventSize(ev);
    if (used + size > buf.length) {
      chunks.push(buf.subarray(0, used));
      buf = new Uint8Array(1 << 20);
      used = 0;
    }
    used = lib.writeWireEvent(1, ev, buf, used);
  });
  if (varied) {
    const server = await k.taskCreate({ name: 'server' });
    const client = await k.taskCreate({ name: 'client' });
    await variedRpcs(k, server, client, n);
  } else await nullRpcs(k, n);
  chunks.push(buf.subarray(0, used));
  await k.close();
  return Buffer.concat(chunks);
}

/** `all` in the pipe's 64 KiB pieces, as the command reads them. */
export function pipePieces(all) {
  const pieces = [];
  for (let at = 0; at < all.length; at += 65536) pieces.push(new Uint8Array(all.subarray(at, at + 65536)));
  return pieces;
}
