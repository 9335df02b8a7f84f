/**
 * FsClient's bulk read: io_reads at explicit offsets with several in flight,
 * delivered in file order, exactly the bytes sequential io_reads would give.
 */
import { releaseReceived } from 'netmsg-wire';
import { MAX_TRANSFER } from './fs-export.js';

/** io_read size: the export's MAX_TRANSFER, the most one answer may carry. */
export const READ_CHUNK = MAX_TRANSFER;
/** The first io_read of readPort, and each one where the object cannot seek. */
export const FIRST_READ = 64 * 1024;
/**
 * io_reads in flight while reading a large file: 2 of READ_CHUNK (16 MiB) is
 * 32 MiB on the way, as 4 of 4 MiB were before run 24M: the node's buffer
 * pool (2 idle) and the client's receive pool (3 frames idle) keep that many,
 * and more in flight cost both nodes more CPU per MiB (fresh memory each
 * time; BENCHMARKS.md, runs 20 and 24M). Two are enough to keep the node
 * busy: the next request goes out as soon as an answer arrives, while the
 * node is still writing the other one.
 */
export const READ_AHEAD = 2;

/**
 * io_reads of READ_CHUNK at `from`, `from + READ_CHUNK`, ..., READ_AHEAD in
 * flight, yielded in file order until one returns no data; a short answer
 * drops the reads issued beyond it and one io_read right after it
 * decides: no data is the end, data means the file grew under us and
 * reading goes on from there, so the bytes are exactly what sequential
 * reads would have returned. Returns the offset reached. Reads answered
 * but never yielded (dropped, or the consumer stopped) are released.
 *
 * A node may cap its answers lower than READ_CHUNK (io_read's amount is
 * the most the server returns, and nodes before 16 MiB answers capped at
 * 4 MiB): then every answer is short, and each would drop the read behind
 * it and drain the pipe. So when the probe after a short answer again
 * brings exactly as many bytes (64 KiB or more), that is the node's cap,
 * and the reads from then on ask for it. The bytes are the same either way.
 */
export async function* readAhead(ioRead: (offset: bigint, amount: number) => Promise<Uint8Array>, from: bigint): AsyncGenerator<Uint8Array, bigint, undefined> {
  let at = from;
  let chunk = READ_CHUNK;
  const inFlight: Promise<Uint8Array>[] = [];
  try {
    for (;;) {
      let next = at;
      const issue = (): void => {
        const read = ioRead(next, chunk);
        // Awaited in order below; an error of a read behind a failed one is not left unhandled.
        read.catch(() => undefined);
        inFlight.push(read);
        next += BigInt(chunk);
      };
      for (let i = 0; i < READ_AHEAD; i++) issue();
      let short = 0;
      while (inFlight.length > 0) {
        const bytes = await inFlight.shift()!;
        if (bytes.length === 0) return at;
        at += BigInt(bytes.length);
        // The next read goes out before the consumer looks at this one, so the pipe stays full.
        if (bytes.length === chunk) issue();
        else short = bytes.length;
        yield bytes;
        if (short > 0) {
          await dropReads(inFlight);
          break;
        }
      }
      if (short === 0) return at;
      // After a short answer (normally the end of the file) one read at the
      // offset reached says whether there is more, as the next sequential read would.
      const probe = await ioRead(at, chunk);
      if (probe.length === 0) return at;
      at += BigInt(probe.length);
      if (probe.length === short && short >= FIRST_READ) chunk = short;
      yield probe;
    }
  } finally {
    await dropReads(inFlight);
  }
}

/** Wait for io_reads nobody will use and give their bytes back to the receive pool (ours alone: never handed out). */
async function dropReads(reads: Promise<Uint8Array>[]): Promise<void> {
  for (const r of await Promise.allSettled(reads.splice(0))) if (r.status === 'fulfilled') releaseReceived(r.value);
}
