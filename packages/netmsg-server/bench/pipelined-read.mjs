// One bulk-read case shared by run.mjs and bulk.mjs: a file read with
// explicit-offset io_reads of `piece` bytes, `inFlight` at a time (what a
// client that pipelines by hand gets). Returns MiB/s; throws on a short read.
// Each reply's out-of-line bytes are given back once counted (client.releaseOol,
// a receiver's vm_deallocate: the link reuses the buffer for a later reply),
// where the build has it; BENCH_NO_RELEASE=1 leaves them to the garbage collector.
// BENCH_PIPE_PIECE (bytes, 1048576) and BENCH_PIPE_IN_FLIGHT (8) change the
// case (a piece over the node's MAX_TRANSFER is answered short: the total check fails).
const MIB = 1024 * 1024;
const RELEASE = !process.env.BENCH_NO_RELEASE;

export async function readPipelined(client, path, size, { piece = Number(process.env.BENCH_PIPE_PIECE ?? MIB), inFlight = Number(process.env.BENCH_PIPE_IN_FLIGHT ?? 8) } = {}) {
  const port = await client.lookup(path);
  const t0 = process.hrtime.bigint();
  let next = 0;
  let total = 0;
  const worker = async () => {
    for (;;) {
      const off = next;
      next += piece;
      if (off >= size) return;
      const r = await client.call(port, 'io_read', { offset: BigInt(off), amount: BigInt(piece) });
      const d = r.args['data'];
      total += d instanceof Uint8Array && d.length > 0 ? d.length : (r.ool[0]?.length ?? 0);
      if (RELEASE && r.ool[0]) client.releaseOol?.(r.ool[0]);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  client.release(port);
  if (total !== size) throw new Error(`pipelined read ${total} of ${size}`);
  return size / MIB / secs;
}
