import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_SIZE } from 'hurd-ffi';
import type { FsClient } from '../client.js';
import { connect } from '../connect.js';
import { mapFile, type Mapping } from '../client-map.js';
import { NetmsgServerError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { startNode, type RunningNode } from '../node.js';
import type { PagerTrace } from '../pager/file-pager.js';
import { makeSampleTree, SAMPLE_FILES, SHARED_SIZE } from './sample-tree.js';
import { cText, Transcript } from './transcript.js';

/**
 * The toolkit's main job in one run, on loopback: node A exports a sample
 * tree (read-write) through the Hurd's fs/io RPCs; node B (a client node:
 * its own simulated GNU Mach kernel and NetmsgNode) lists it, reads and
 * writes files, then maps one file; node C, a third node, maps the same file.
 * Every page fault on B's and C's kernels is a memory_object message carried
 * by netmsg to the one file pager on node A (pager-core's engine), which
 * keeps the two kernels coherent: each sees the other's writes. At the end
 * both unmap, the pager writes the last version to the file and ends.
 *
 * Nothing is faked: the mapped reads and writes are vm_read / vm_write of
 * tasks on B's and C's kernels, and the checks compare what they return.
 */

export interface DemoOptions {
  /** Where transcript lines go (default: nowhere; they are returned). */
  out?: (line: string) => void;
  /** Logs of the nodes (default silent). */
  logger?: Logger;
  /** Keep the sample tree (default: removed at the end). */
  keepTree?: boolean;
}

export interface DemoResult {
  transcript: string[];
  /** RPCs each client node sent (fs/io/fsys calls over its link). */
  rpcs: { B: number; C: number };
  /** memory_object messages between the pager on A and the kernels of B and C. */
  pagerMessages: number;
  storeReads: number;
  storeWrites: number;
}

const BOARD = 'shared/board.bin';
/** Bounds for waiting until the pager on A has nothing under way. */
const QUIET_MS = 20;
const SETTLE_LIMIT_MS = 5000;

/** Poll `f` until it holds (bounded: a lost message ends the demo with an error, not a hang). */
async function waitFor(f: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!f()) {
    if (Date.now() - start > SETTLE_LIMIT_MS) fail(what);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function fail(what: string): never {
  throw new NetmsgServerError('demo_failed', what);
}

function expectEq(what: string, got: string, want: string): void {
  if (got !== want) fail(`${what}: got "${got}", expected "${want}"`);
}

const cstr = (s: string) => new TextEncoder().encode(s + '\0');

/** Run the demo; resolves with the transcript and counts, rejects with `demo_failed` on any failed check. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const tx = new Transcript(options.out ?? (() => {}), ['kernel B', 'kernel C']);
  const tree = makeSampleTree();
  const secret = randomBytes(32);
  const nodes: RunningNode[] = [];
  const clients: FsClient[] = [];
  const mappings: Mapping[] = [];
  try {
    tx.say('netmsg-server demo: remote files and coherent remote memory, three nodes on loopback');
    tx.say('');
    const a = await startNode({ export: tree.root, listen: '127.0.0.1:0', secret, readWrite: true }, { logger: options.logger ?? silentLogger });
    nodes.push(a);
    tx.say('node A: exports a sample tree read-write on 127.0.0.1:<port A>');
    const url = `netmsg://127.0.0.1:${a.port}`;
    const b = await connect(url, { secret, timeoutMs: 20_000 });
    clients.push(b);
    tx.say('node B: linked to A (netmsg-wire handshake, shared secret)');

    // Pager messages, printed under the step that caused them.
    let pending: PagerTrace[] = [];
    let lastTrace = Date.now();
    let pagerMessages = 0;
    a.maps.observe((file, t) => {
      if (file !== BOARD) return;
      pending.push(t);
      pagerMessages++;
      lastTrace = Date.now();
    });
    /** Wait until the pager has nothing under way and no message came for a moment, then print what came. */
    const settle = async (): Promise<number> => {
      const start = Date.now();
      for (;;) {
        const pager = a.maps.pagerOf(BOARD);
        const idle = !pager || pager.isIdle();
        if (idle && Date.now() - lastTrace >= QUIET_MS) break;
        if (Date.now() - start > SETTLE_LIMIT_MS) fail('the pager on node A never went idle');
        await new Promise((r) => setTimeout(r, 5));
      }
      const got = pending;
      pending = [];
      for (const t of got) tx.say(tx.pagerLine(t, PAGE_SIZE));
      return got.length;
    };

    // ------------------------------------------------------------ files
    tx.say('');
    tx.say('B lists, reads and writes files on A (dir_readdir, dir_lookup, io_read, io_write):');
    const rpc0 = b.rpcCount;
    const top = (await b.readdir('')).map((e) => e.name).sort();
    tx.say(`  ls /            -> ${top.join(' ')}`);
    expectEq('ls /', top.join(' '), 'README.txt docs notes shared');
    const docs = (await b.readdir('docs')).map((e) => e.name).sort();
    tx.say(`  ls /docs        -> ${docs.join(' ')}`);
    expectEq('ls /docs', docs.join(' '), 'hurd.txt mach.txt');
    const readme = new TextDecoder().decode(await b.read('README.txt'));
    tx.say(`  cat README.txt  -> "${readme.trimEnd()}"`);
    expectEq('cat README.txt', readme, SAMPLE_FILES['README.txt']!);
    const note = 'written by node B over netmsg\n';
    await b.write('notes/from-b.txt', new TextEncoder().encode(note));
    tx.say(`  write notes/from-b.txt (${note.length} bytes)`);
    const back = new TextDecoder().decode(await b.read('notes/from-b.txt'));
    expectEq('read back notes/from-b.txt', back, note);
    expectEq('notes/from-b.txt on A\'s disk', readFileSync(join(tree.root, 'notes', 'from-b.txt'), 'utf8'), note);
    const st = await b.stat('notes/from-b.txt');
    tx.say(`  stat notes/from-b.txt -> regular file, ${st.size} bytes; on A's disk: "${note.trimEnd()}"`);
    tx.say(`  (${b.rpcCount - rpc0} RPCs)`);

    // ------------------------------------------------------------ memory
    const c = await connect(url, { secret, timeoutMs: 20_000 });
    clients.push(c);
    tx.say('');
    tx.say('node C: linked to A');
    tx.say(`B and C map ${BOARD} (${SHARED_SIZE / PAGE_SIZE} pages) read-write: io_map on A, vm_map on their own kernels`);
    const mb = await mapFile(b, BOARD, { writable: true });
    mappings.push(mb);
    // vm_map returns once memory_object_init is sent (as GNU Mach's does), so
    // init may still be on the link: wait until it reached the pager on A,
    // then print init and ready, so the transcript does not depend on timing.
    const initialised = (n: number) => (a.maps.pagerOf(BOARD)?.kernelCount() ?? 0) === n;
    tx.say('  B: vm_map');
    await waitFor(() => initialised(1), 'kernel B never initialised the object');
    await settle();
    const mc = await mapFile(c, BOARD, { writable: true });
    mappings.push(mc);
    tx.say('  C: vm_map');
    await waitFor(() => initialised(2), 'kernel C never initialised the object');
    await settle();
    if (a.maps.mapped().length !== 1) fail(`node A runs ${a.maps.mapped().length} pagers for the file, expected 1`);

    const step = async (title: string, op: () => Promise<string | void>, want?: string): Promise<void> => {
      tx.say(`  ${title}`);
      const got = await op();
      const n = await settle();
      if (want !== undefined) {
        expectEq(title, got ?? '', want);
        tx.say(`      => "${got}"   (${n} memory_object messages)`);
      } else {
        tx.say(`      (${n} memory_object messages)`);
      }
    };
    const readText = async (m: Mapping, at: number) => cText(await m.read(at, 40));

    tx.say('');
    tx.say('coherence (every line below is a message between the pager on A and a kernel, carried by netmsg):');
    await step('B writes "hello from B" at offset 0', () => mb.write(0, cstr('hello from B')));
    await step('C reads offset 0', () => readText(mc, 0), 'hello from B');
    await step('C writes "C was here" at offset 0', () => mc.write(0, cstr('C was here')));
    await step('B reads offset 0', () => readText(mb, 0), 'C was here');
    const edge = PAGE_SIZE - 6;
    await step(`B writes "across the page edge" at offset ${edge}`, () => mb.write(edge, cstr('across the page edge')));
    await step(`C reads offset ${edge}`, () => readText(mc, edge), 'across the page edge');
    await step('C reads offset 0 (its copy of page 0 is still valid)', () => readText(mc, 0), 'C was here');

    tx.say('');
    tx.say('both unmap: the kernels return dirty pages and terminate the object; the pager writes the file and ends');
    const pager = a.maps.pagerOf(BOARD) ?? fail('no pager for the file on node A');
    // One at a time, so the transcript does not depend on which link is faster.
    mappings.splice(0);
    tx.say('  B: vm_deallocate');
    await mb.unmap();
    await waitFor(() => pager.kernelCount() === 1, 'kernel B never terminated the object');
    await settle();
    tx.say('  C: vm_deallocate');
    await mc.unmap();
    await waitFor(() => pager.isFinished, 'the pager on node A did not end after both unmapped');
    await settle();
    tx.say('  the pager on A ended (no senders, no kernels)');
    const disk = readFileSync(join(tree.root, BOARD));
    expectEq('page 0 of the file on A\'s disk', cText(disk.subarray(0, 40)), 'C was here');
    expectEq('the page edge of the file on A\'s disk', cText(disk.subarray(edge, edge + 40)), 'across the page edge');
    if (disk.length !== SHARED_SIZE) fail(`the file is ${disk.length} bytes, expected ${SHARED_SIZE}`);
    const viaRpc = cText((await b.read(BOARD)).subarray(0, 40));
    expectEq('io_read of the file by B', viaRpc, 'C was here');
    tx.say(`  on A's disk: offset 0 "C was here", offset ${edge} "across the page edge"; io_read by B agrees`);

    const stats = pager.stats;
    tx.say('');
    tx.say('summary:');
    tx.say(`  RPCs: B ${b.rpcCount}, C ${c.rpcCount} (fsys/fs/io over netmsg)`);
    tx.say(`  memory_object messages: ${pagerMessages} (${stats.fromKernels} from kernels, ${stats.toKernels} to kernels)`);
    tx.say(`  store: ${stats.storeReads} page reads, ${stats.storeWrites} page writes`);
    tx.say('demo passed');
    return {
      transcript: tx.lines,
      rpcs: { B: b.rpcCount, C: c.rpcCount },
      pagerMessages,
      storeReads: stats.storeReads,
      storeWrites: stats.storeWrites,
    };
  } finally {
    for (const m of mappings) await m.unmap().catch(() => {});
    for (const cl of clients) await cl.close().catch(() => {});
    for (const n of nodes) await n.close('demo done').catch(() => {});
    if (!options.keepTree) tree.cleanup();
  }
}
