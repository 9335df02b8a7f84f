/**
 * -c counted in the traced program (summary-tap.ts, summary-wire.ts,
 * cli/summary-consume.ts): the tables it prints are the record path's.
 * In-process: the same observer events through both paths (message records
 * written by the tap's observer to a real file and read by the tracer
 * side's TraceConsumer, against the program's ProcessSummary and its
 * snapshot read by SummaryConsumer), same clock, byte-identical text. As
 * processes: the command both ways on the same program, a killed program,
 * and -f.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { MsgEvent } from 'hurd-ffi';
import type { MigArgs } from 'mach-msg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backlogObserver } from '../src/backlog-observer.js';
import { TraceConsumer } from '../src/cli/consume.js';
import { countsInProgram } from '../src/cli/run.js';
import { parseArgs } from '../src/cli/args.js';
import { SummaryConsumer } from '../src/cli/summary-consume.js';
import { isRpcTraceError } from '../src/errors.js';
import type { TraceEvent } from '../src/records.js';
import { ProcessSummary, summaryTracerOptions } from '../src/summary-tap.js';
import { SnapshotReader, decodeSnapshot, encodeSnapshot, encodeSummaryConfig, parseSummaryConfig, type SummaryConfig } from '../src/summary-wire.js';
import { TraceBacklog } from '../src/trace-backlog.js';
import { buildCli, pkg } from './support/build.js';
import { msgEvents } from './support/msg-events.js';
import { EPOCH, interleavedSession, ioSession, makeRig, notifySession, pagerSession, reply, request } from './support/scenario.js';
import { traceText } from './support/run.js';
import { loadUserDefs } from '../src/user-defs.js';
import { compileInterface, MACH_MSG_TYPE_MAKE_SEND_ONCE } from 'mach-msg';
import { traceKernel } from '../src/trace-kernel.js';
import { TraceSession } from '../src/session.js';

let tmp: string;
let cli: string;
let removeBuild: () => void = () => undefined;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-summary-'));
  ({ cli, remove: removeBuild } = buildCli('summary'));
});
afterAll(() => {
  removeBuild();
  rmSync(tmp, { recursive: true, force: true });
});

/** A recorded trace event back to the observer's event (traceEventOf's inverse). */
function msgEventOf(ev: TraceEvent): MsgEvent {
  const e: MsgEvent = { phase: ev.direction, task: ev.task, port: ev.port, msgId: ev.msgId, bytes: ev.bytes, abi: ev.abi };
  if (ev.kr !== undefined) e.kr = ev.kr;
  if (ev.replyPort !== undefined) e.replyPort = ev.replyPort;
  if (ev.taskName !== undefined) e.taskName = ev.taskName;
  if (ev.destroyed !== undefined) e.destroyed = ev.destroyed as NonNullable<MsgEvent['destroyed']>;
  if (ev.rcvName !== undefined) e.rcvName = ev.rcvName;
  return e;
}

/**
 * Times with fractions (sums of doubles must come out the same both ways):
 * a clock of the moment, message `at` of its kernel's list (a clock tells
 * the time, however often read: the program's counting reads it only for
 * the messages whose time the table needs).
 */
const clockFrom = (t0: number): { at: number; now: () => number } => {
  const c = { at: 0, now: () => t0 + c.at * 1.37 };
  return c;
};

let fileNo = 0;
/** The record path: the tap's observer writes records to a real file, which the command's TraceConsumer reads. */
function viaRecords(kernels: readonly MsgEvent[][], filter: string[], user?: { defs: string[]; msgids: string[] }): string {
  const file = join(tmp, `records-${fileNo++}`);
  const fd = openSync(file, 'w');
  const b = new TraceBacklog({ fd });
  const clocks = kernels.map((_, i) => clockFrom(1_700_000_000_000 + i));
  const observers = kernels.map((_, i) => backlogObserver(b, i + 1, () => undefined, clocks[i]!.now));
  kernels.forEach((evs, i) =>
    evs.forEach((e, at) => {
      clocks[i]!.at = at;
      observers[i]!(e);
    }),
  );
  b.finish();
  closeSync(fd);
  let text = '';
  const u = user === undefined ? undefined : loadUserDefs(user);
  const base = u === undefined ? { filter, summary: true } : { filter, summary: true, interfaces: u.interfaces, ...(u.catalog === undefined ? {} : { catalog: u.catalog }) };
  const c = new TraceConsumer(base, true, { write: (s) => (text += s), perTask: null, pcap: undefined });
  const bytes = readFileSync(file);
  // In two chunks, cut inside a record.
  const cut = Math.floor(bytes.length / 2);
  c.feed(0, null, new Uint8Array(bytes.buffer, bytes.byteOffset, cut));
  c.feed(0, null, new Uint8Array(bytes.buffer, bytes.byteOffset + cut, bytes.length - cut));
  expect(c.finish()).toEqual([]);
  rmSync(file);
  return text;
}

/** The program's path: ProcessSummary counts, its snapshot crosses as a record, SummaryConsumer prints. */
function viaSnapshot(kernels: readonly MsgEvent[][], filter: string[], user?: { defs: string[]; msgids: string[] }): string {
  const config: SummaryConfig = { filter, defs: user?.defs ?? [], includeDirs: [], msgids: user?.msgids ?? [] };
  const p = new ProcessSummary(summaryTracerOptions(config));
  const clocks = kernels.map((_, i) => clockFrom(1_700_000_000_000 + i));
  const observers = kernels.map((_, i) => p.observer(i + 1, () => undefined, clocks[i]!.now));
  kernels.forEach((evs, i) =>
    evs.forEach((e, at) => {
      clocks[i]!.at = at;
      observers[i]!(e);
    }),
  );
  // An early snapshot first: the last one wins.
  let text = '';
  const c = new SummaryConsumer((s) => (text += s));
  const rec = encodeSnapshot(p.snapshot());
  c.feed(0, null, rec.subarray(0, 3));
  c.feed(0, null, rec.subarray(3));
  expect(c.finish()).toEqual([]);
  return text;
}

const FILTERS: string[][] = [[], ['status=failed'], ['status=successful'], ['trace=io_read,mach_msg'], ['trace=!%io'], ['trace=%memory_object', 'status=failed']];

describe('the program-side table equals the record path table', () => {
  test('recorded sessions (both ABIs), one and two kernels, every filter', async () => {
    for (const abi of ['x86_64', 'i386'] as const) {
      const sessions = [await ioSession(abi), await interleavedSession(abi), await notifySession(abi), await pagerSession(abi)].map((s) => s.map(msgEventOf));
      for (const filter of FILTERS) {
        for (const s of sessions) {
          const a = viaRecords([s], filter);
          expect(viaSnapshot([s], filter)).toBe(a);
        }
        const two = [sessions[0]!, sessions[3]!];
        const t = viaRecords(two, filter);
        expect(t).toMatch(/^kernel 1:\n/);
        expect(viaSnapshot(two, filter)).toBe(t);
      }
    }
  });

  test('perturbed sessions: dropped messages, failed sends and receives, destroyed messages, random events', async () => {
    const base = [...(await ioSession()), ...(await interleavedSession()), ...(await pagerSession())].map(msgEventOf);
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.constant<{ t: 'keep' }>({ t: 'keep' }) },
      { weight: 1, arbitrary: fc.constant<{ t: 'drop' }>({ t: 'drop' }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x10000001, max: 0x10000010 }).map((kr) => ({ t: 'kr' as const, kr })) },
      { weight: 1, arbitrary: fc.constantFrom('port-died' as const, 'too-large' as const, 'circular' as const).map((why) => ({ t: 'destroyed' as const, why })) },
      { weight: 1, arbitrary: msgEvents(64, 4).map((e) => ({ t: 'random' as const, e })) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: base.length, maxLength: base.length }), fc.constantFrom(...FILTERS), (ops, filter) => {
        const evs: MsgEvent[] = [];
        ops.forEach((o, i) => {
          const e = base[i]!;
          if (o.t === 'keep') evs.push(e);
          else if (o.t === 'kr') evs.push({ ...e, kr: o.kr });
          else if (o.t === 'destroyed') evs.push({ ...e, phase: 'receive', task: 0, bytes: null, abi: null, destroyed: o.why });
          else if (o.t === 'random') evs.push(o.e, e);
        });
        expect(viaSnapshot([evs], filter)).toBe(viaRecords([evs], filter));
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });
});

test("the user's interfaces (--defs, -i) name and classify ids the same way in the program", async () => {
  const defsDir = join(pkg, 'test/fixtures/defs');
  const user = { defs: [join(defsDir, 'greet.defs')], msgids: [join(defsDir, 'greet.msgids')] };
  const rig = await makeRig('x86_64');
  const itf = compileInterface(readFileSync(join(defsDir, 'greet.defs'), 'utf8'), { abi: 'x86_64' });
  const c = await rig.client(1);
  for (const ret of [0, 0x4000000d]) {
    const m = itf.routine('greet_hello').encodeRequest({ server: c.io, who: 'world' });
    m.header.localPort = c.reply;
    m.header.bits = { ...m.header.bits, local: MACH_MSG_TYPE_MAKE_SEND_ONCE };
    await rig.send(c.task, m);
    const got = await rig.receive(rig.server, rig.serverPort);
    const r = itf.routine('greet_hello').encodeReply(ret === 0 ? { retCode: 0, count: 3 } : { retCode: ret });
    r.header.remotePort = got.header.remotePort;
    await rig.send(rig.server, r);
    await rig.receive(c.task, c.reply);
  }
  // An id only the .msgids names (a one-way thing_poke), sent and received.
  const poke = itf.routine('greet_hello').encodeRequest({ server: c.io, who: 'x' });
  poke.header.id = 9000;
  await rig.send(c.task, poke);
  await rig.receive(rig.server, rig.serverPort);
  await rig.kernel.close();
  const evs = rig.events.map(msgEventOf);
  for (const filter of [[], ['trace=greet_hello'], ['status=failed']]) {
    const a = viaRecords([evs], filter, user);
    expect(a).toMatch(/greet_hello/);
    expect(viaSnapshot([evs], filter, user)).toBe(a);
  }
  // Without them the names differ (the test can tell).
  expect(viaSnapshot([evs], [])).not.toBe(viaRecords([evs], [], user));
});

describe("the library's -c", () => {
  test('prints TraceSession\'s table for the same messages, for every filter', async () => {
    for (const filter of FILTERS) {
      const rig = await makeRig('x86_64');
      let tick = 0;
      let text = '';
      const t = traceKernel(rig.kernel, { summary: true, filter, now: () => EPOCH + tick++, write: (s) => (text += s) });
      const c = await rig.client(1);
      for (const [routine, ret] of [['io_read', 0], ['io_read', 0x4000000d], ['io_write', 0]] as const) {
        const args: MigArgs = routine === 'io_read' ? { io_object: c.io, offset: 0n, amount: 8n } : { io_object: c.io, data: new Uint8Array(3), offset: 0n };
        await rig.send(c.task, request('x86_64', 'io', routine, args, c.reply));
        const req = await rig.receive(rig.server, rig.serverPort);
        await rig.send(rig.server, reply('x86_64', 'io', routine, req, ret === 0 ? (routine === 'io_read' ? { retCode: 0, data: new Uint8Array(2) } : { retCode: 0, amount: 3n }) : { retCode: ret }));
        await rig.receive(c.task, c.reply);
      }
      // A send to a name the client does not have: refused.
      expect(await rig.send(c.task, request('x86_64', 'io', 'io_readable', { io_object: 0x999 }, c.reply))).not.toBe(0);
      t.stop();
      await rig.kernel.close();
      expect(text).toBe(traceText(rig.events, { summary: true, filter }));
      const session = new TraceSession({ summary: true, filter });
      for (const e of rig.events) session.feed(e);
      expect(t.summary()).toEqual(session.summary());
      if (filter.length === 0) expect(text).toMatch(/^ +2 +1 .* io_read$/m);
    }
  });
});

describe('snapshot records and the command settings', () => {
  test('round trip; a bad record is a typed error', () => {
    const s = { kernels: [{ kernel: 2, first: 1.5, stats: [{ routine: 'io_read', calls: 3, errors: 1, replied: 3, totalMs: 0.1 + 0.2, maxMs: 0.2 }] }], bad: 'why' };
    expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    const r = new SnapshotReader();
    const rec = encodeSnapshot(s);
    expect(r.push(rec.subarray(0, 5))).toEqual([]);
    expect(r.pending).toBe(5);
    expect(r.push(rec.subarray(5))).toEqual([s]);
    const bad = (b: Uint8Array): unknown => {
      try {
        decodeSnapshot(b);
      } catch (e) {
        return isRpcTraceError(e) ? e.code : e;
      }
      return 'decoded';
    };
    const wrongKind = rec.slice();
    wrongKind[4] = 0;
    expect(bad(wrongKind)).toBe('invalid_event');
    expect(bad(rec.subarray(0, 7))).toBe('invalid_event');
    const notJson = rec.slice(0, 12);
    expect(bad(notJson)).toBe('invalid_event');
    const negative = encodeSnapshot({ kernels: [{ kernel: 1, first: 0, stats: [{ routine: 'x', calls: -1, errors: 0, replied: 0, totalMs: 0, maxMs: 0 }] }] });
    expect(bad(negative)).toBe('invalid_event');
    expect(() => new SnapshotReader().push(new Uint8Array([3, 0, 0, 0, 2, 0, 0, 0]))).toThrow(/record length 3/);
  });

  test('fuzz: random bytes never decode to anything but snapshots or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          new SnapshotReader().push(b);
        } catch (e) {
          expect(isRpcTraceError(e)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  test('the settings round trip; anything else is none', () => {
    const c: SummaryConfig = { filter: ['status=failed'], defs: ['/a.defs'], includeDirs: [], msgids: [], period: 50 };
    expect(parseSummaryConfig(encodeSummaryConfig(c))).toEqual(c);
    for (const v of [undefined, '', '{', '[]', '{"filter":[1],"defs":[],"includeDirs":[],"msgids":[]}', '{"filter":[],"defs":[],"includeDirs":[],"msgids":[],"period":-1}']) {
      expect(parseSummaryConfig(v)).toBeNull();
    }
  });

  test('which command lines count in the program', () => {
    const opts = (args: string[]) => {
      const p = parseArgs([...args, 'node', 'x']);
      if ('help' in p) throw new Error('help');
      return p.options;
    };
    expect(countsInProgram(opts(['-c']), {})).toBe(true);
    expect(countsInProgram(opts(['-c', '-f', '-o', 'F', '-e', 'status=failed']), {})).toBe(true);
    expect(countsInProgram(opts(['-c', '--pcap', 'F']), {})).toBe(false);
    expect(countsInProgram(opts(['-c']), { HURD_RPCTRACE_SUMMARY_IN: 'tracer' })).toBe(false);
    expect(countsInProgram(opts([]), {})).toBe(false);
  });
});

const app = join(pkg, 'test/fixtures/summary-app.mjs');
const run = (args: string[], where: 'program' | 'tracer') =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: pkg, env: { ...process.env, HURD_RPCTRACE_SUMMARY_IN: where } });

/** A table's rows without the times (which differ from run to run): `calls errors routine`, sorted; headers kept. */
function counts(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-') && !l.includes('avg s'))
    .map((l) => {
      const m = /^(.*?) *(\d+) +(\d+) +\d+\.\d{6} +\d+\.\d{6} +\d+\.\d{6} (.*)$/.exec(l);
      return m === null ? l : `${m[1]}${m[2]} ${m[3]} ${m[4]}`;
    })
    .sort();
}

describe('the command', () => {
  test('the same program both ways, with filters: the same tables', () => {
    for (const filter of [[], ['-e', 'status=failed'], ['-e', 'trace=io_read,mach_msg'], ['-e', 'trace=!io_read']]) {
      const a = run(['-c', ...filter, '--', process.execPath, app, '4', 'two'], 'program');
      const b = run(['-c', ...filter, '--', process.execPath, app, '4', 'two'], 'tracer');
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      expect(counts(a.stderr)).toEqual(counts(b.stderr));
      expect(a.stderr).toMatch(/^kernel 1:\n/);
    }
    const all = run(['-c', '--', process.execPath, app, '4'], 'program');
    expect(counts(all.stderr)).toEqual(['2 2 io_readable', '4 1 io_read', '1 0 io_write', '7 3 total'].sort());
  });

  test('--separate-process: a program killed by SIGKILL leaves its last snapshot', async () => {
    const child = spawn(process.execPath, [cli, '--separate-process', '-c', '--', process.execPath, app, '3', 'one', 'hold'], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) process.kill(Number(out.split('\n')[0]), 'SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(128 + 9);
    expect(err).toMatch(/killed by SIGKILL/);
    expect(counts(err.replace(/^hurd-rpctrace: .*\n/m, ''))).toEqual(['2 2 io_readable', '3 1 io_read', '1 0 io_write', '6 3 total'].sort());
  });

  test('-f: a table per process and kernel, as from the records', () => {
    const parent = `const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(app)}, '2', 'two'], { stdio: ['ignore', 'ignore', 'inherit'] });
      console.log(JSON.stringify({ parent: process.pid, child: r.pid }));
      process.argv[2] = '5';
      await import(${JSON.stringify(app)});`;
    const a = run(['-f', '-c', '--', process.execPath, '--input-type=module', '-e', parent], 'program');
    expect(a.status, a.stderr).toBe(0);
    const pids = JSON.parse(a.stdout.split('\n')[0]!) as { parent: number; child: number };
    const heads = a.stderr.split('\n').filter((l) => l.startsWith('pid '));
    expect(heads.sort()).toEqual([`pid ${pids.child} kernel 1:`, `pid ${pids.child} kernel 2:`, `pid ${pids.parent} kernel 1:`].sort());
    // Per table: the record path's counts (the pids differ between the runs: compared per table, by its place).
    const b = run(['-f', '-c', '--', process.execPath, '--input-type=module', '-e', parent], 'tracer');
    expect(b.status, b.stderr).toBe(0);
    const pidsB = JSON.parse(b.stdout.split('\n')[0]!) as { parent: number; child: number };
    const norm = (text: string, p: { parent: number; child: number }) => counts(text.replaceAll(`pid ${p.parent} `, 'pid P ').replaceAll(`pid ${p.child} `, 'pid C '));
    expect(norm(a.stderr, pids)).toEqual(norm(b.stderr, pidsB));
    expect(a.stderr.match(/^ +5 +1 .* io_read$/gm)).toHaveLength(1);
    expect(a.stderr.match(/^ +2 +0 .* io_read$/gm)).toHaveLength(2);
  });
});
