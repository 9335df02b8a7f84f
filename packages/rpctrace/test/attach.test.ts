/**
 * hurd-rpctrace -p PID (attach to a running program) and -ff, end to end
 * with real processes: a Node program serving io_read RPCs on the
 * simulated kernel (test/fixtures/attach-loop.mjs, driven by stdin lines so
 * its result does not depend on timing), the built command, the built
 * agent; every inspector on 127.0.0.1 with --inspect-port=0 (a free port,
 * found by the tracer among the target's sockets).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkTarget, loopbackListenPorts, openInspector } from '../src/attach/target.js';
import { parseArgs } from '../src/cli/args.js';
import { runCli } from '../src/cli/run.js';
import { isRpcTraceError } from '../src/errors.js';
import { pkg } from './support/build.js';
import { buildAttachCli } from './support/build-attach.js';
import { alive, start, until, type Proc } from './support/processes.js';

const loop = join(pkg, 'test/fixtures/attach-loop.mjs');
const app = join(pkg, 'test/fixtures/app.mjs');
let build: ReturnType<typeof buildAttachCli>;
let tmp: string;
const started: Proc[] = [];

beforeAll(() => {
  build = buildAttachCli('attach');
  tmp = mkdtempSync(join(tmpdir(), 'rpctrace-attach-'));
}, 240_000);

afterAll(() => {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  build?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

function target(): Proc {
  const p = start(process.execPath, ['--inspect-port=0', loop]);
  started.push(p);
  return p;
}

function tracer(args: readonly string[], env: Record<string, string> = {}): Proc {
  const p = start(process.execPath, [build.cli, ...args], env);
  started.push(p);
  return p;
}

/** Runs `commands` on the loop program untraced: its result line. */
async function untracedResult(commands: readonly string[]): Promise<string> {
  const t = target();
  await t.waitOut(/^ready \d+$/m);
  for (const c of commands) {
    t.send(c);
    if (c !== 'stop') await t.waitOut(new RegExp(`did ${c.split(' ')[1] ?? c}\\n`));
  }
  await t.exited;
  return /^result .*$/m.exec(t.out())![0];
}

async function command(t: Proc, c: string): Promise<void> {
  const before = t.out().length;
  t.send(c);
  await until(() => /\n(did|observers) /.test(t.out().slice(before - 1)), 30_000);
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

describe('-p PID', () => {
  test('attaches, traces old and new tasks and kernels, closes the inspector, detaches on SIGINT; the program runs on unaffected', async () => {
    const t = target();
    await t.waitOut(/^ready \d+$/m);
    const out = join(tmp, 'attach.txt');
    const tr = tracer(['-o', out, '-p', String(t.pid)]);
    await tr.waitErr(/process \d+ attached \(1 kernel\)/);
    // The inspector was opened for the moment of attaching only.
    expect(await until(() => loopbackListenPorts(t.pid).length === 0)).toBe(true);
    await command(t, 'more 3');
    await command(t, 'newtask');
    await command(t, 'kernel2');
    await command(t, 'observers');
    expect(t.out()).toMatch(/^observers 2$/m);
    tr.child.kill('SIGINT');
    expect(await tr.exited).toEqual({ code: 0, signal: null });
    expect(tr.err()).toMatch(new RegExp(`process ${t.pid} detached`));
    const got = lines(out);
    const reads = got.filter((l) => /^\[\s*\d+\] client\[(\d+)\] -> io_read\(io_object: copy-send 112, offset: [123], amount: 64\) = 0 \(data: 7 bytes "block [123]"\)$/.test(l));
    expect(reads).toHaveLength(3);
    expect(got.filter((l) => /^\[\s*\d+\] late\[\d+\] -> io_read\(.*offset: 4,.*"block 4"\)$/.test(l))).toHaveLength(1);
    expect(got.filter((l) => /^k2 \[\s*\d+\] client2\[\d+\] -> io_read\(.*offset: 5,.*"block 5"\)$/.test(l))).toHaveLength(1);
    expect(got).toHaveLength(5);
    // Detached: no observer left, and the program goes on to the result it has untraced.
    await command(t, 'observers');
    expect(t.out()).toMatch(/^observers 0$/m);
    await command(t, 'more 2');
    t.send('stop');
    expect(await t.exited).toEqual({ code: 0, signal: null });
    const traced = /^result .*$/m.exec(t.out())![0];
    expect(traced).toBe(await untracedResult(['more 3', 'newtask', 'kernel2', 'more 2', 'stop']));
    // 1 call before the attach, 3 + 1 + 1 while traced, 2 after: 8 replies of 7 bytes ("block N").
    expect(traced).toMatch(/^result 8 56 \d+$/);
  }, 120_000);

  test('-c: the table when the program exits while traced (the tracer then ends by itself)', async () => {
    const t = target();
    await t.waitOut(/^ready \d+$/m);
    const tr = tracer(['-c', '-p', String(t.pid)]);
    await tr.waitErr(/attached/);
    await command(t, 'more 4');
    t.send('stop');
    expect(await t.exited).toEqual({ code: 0, signal: null });
    expect(await tr.exited).toEqual({ code: 0, signal: null });
    expect(tr.err()).toMatch(/^\s+4\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+ io_read$/m);
    expect(tr.err()).toMatch(new RegExp(`process ${t.pid} exited`));
    expect(tr.err()).not.toMatch(/ -> io_read/);
  }, 120_000);

  test('a tracer killed outright (SIGKILL): the agent removes its observers, the program runs on, nothing left in TMPDIR', async () => {
    const t = target();
    await t.waitOut(/^ready \d+$/m);
    // The tracer's own TMPDIR, where its socket's directory is made: empty again once it attached (no process may connect later).
    const tracerTmp = mkdtempSync(join(tmp, 'tmpdir-'));
    const tr = tracer(['-p', String(t.pid)], { TMPDIR: tracerTmp });
    await tr.waitErr(/attached/);
    expect(readdirSync(tracerTmp)).toEqual([]);
    await command(t, 'more 1');
    tr.child.kill('SIGKILL');
    expect(await tr.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(readdirSync(tracerTmp)).toEqual([]);
    // The agent sees its socket close when the kernel tears it down: ask until it has.
    let last = '';
    for (let i = 0; i < 50 && last !== 'observers 0'; i++) {
      await command(t, 'observers');
      last = t.out().match(/^observers \d+$/gm)!.at(-1)!;
      if (last !== 'observers 0') await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).toBe('observers 0');
    await command(t, 'more 2');
    t.send('stop');
    expect(await t.exited).toEqual({ code: 0, signal: null });
    expect(t.out()).toMatch(/^result 4 28 \d+$/m);
  }, 120_000);

  test('-ff -o FILE: a file per task, each with that task\'s lines', async () => {
    const t = target();
    await t.waitOut(/^ready \d+$/m);
    const base = join(tmp, 'ff-attach');
    const tr = tracer(['-ff', '-o', base, '-p', String(t.pid)]);
    await tr.waitErr(/attached/);
    await command(t, 'more 2');
    await command(t, 'newtask');
    await command(t, 'kernel2');
    tr.child.kill('SIGTERM');
    expect(await tr.exited).toEqual({ code: 0, signal: null });
    const files = readdirSync(tmp).filter((f) => f.startsWith('ff-attach')).sort();
    expect(files.length).toBe(3);
    for (const f of files) {
      const m = /^ff-attach\.(?:k(\d+)\.)?(\d+)$/.exec(f)!;
      expect(m).not.toBeNull();
      // Every line of FILE.<task> is one of that task's calls, with no k2/pid prefix.
      for (const l of lines(join(tmp, f))) expect(l).toMatch(new RegExp(`^\\[\\s*\\d+\\] [a-z0-9]+\\[${m[2]}\\] -> io_read\\(`));
    }
    const byName = Object.fromEntries(files.map((f) => [f, lines(join(tmp, f))]));
    expect(Object.values(byName).map((ls) => ls.length).sort()).toEqual([1, 1, 2]);
    expect(files.some((f) => f.includes('.k2.') && byName[f]!.every((l) => l.includes('client2[')))).toBe(true);
    t.send('stop');
    await t.exited;
  }, 120_000);
});

describe('-p refuses, with typed errors, and leaves the process as it was', () => {
  test('no such process; itself', async () => {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(() => checkTarget(pidMax + 1)).toThrow(expect.objectContaining({ code: 'no_such_process' }));
    expect(() => checkTarget(process.pid)).toThrow(expect.objectContaining({ code: 'invalid_option' }));
    let err = '';
    expect(await runCli(['-p', String(pidMax + 1)], { stdout: () => {}, stderr: (s) => (err += s) })).toBe(1);
    expect(err).toBe(`hurd-rpctrace: no process ${pidMax + 1}\n`);
  });

  test('a process that is not Node (sleep) is refused and NOT signalled', async () => {
    const s = start('sleep', ['30']);
    started.push(s);
    await until(() => {
      try {
        return readFileSync(`/proc/${s.pid}/cmdline`, 'latin1').startsWith('sleep');
      } catch {
        return false;
      }
    });
    let e: unknown;
    try {
      checkTarget(s.pid);
    } catch (x) {
      e = x;
    }
    expect(isRpcTraceError(e) && e.code).toBe('not_node');
    let err = '';
    expect(await runCli(['-p', String(s.pid)], { stdout: () => {}, stderr: (x) => (err += x) })).toBe(1);
    expect(err).toMatch(/is not a Node program .* it was not signalled/);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(s.pid) && s.child.exitCode === null && s.child.signalCode === null).toBe(true);
    s.child.kill();
  });

  test('a Node program without hurd-ffi: no_kernel, and its inspector is closed again', async () => {
    const n = start(process.execPath, ['--inspect-port=0', '-e', "setInterval(() => {}, 1000); console.log('ready');"]);
    started.push(n);
    await n.waitOut(/ready/);
    let err = '';
    expect(await runCli(['-p', String(n.pid)], { stdout: () => {}, stderr: (x) => (err += x), agentPath: build.agent })).toBe(1);
    expect(err).toMatch(new RegExp(`^hurd-rpctrace: process ${n.pid}: it has no hurd-ffi kernel registry`));
    expect(await until(() => loopbackListenPorts(n.pid).length === 0)).toBe(true);
    expect(alive(n.pid) && n.child.exitCode === null).toBe(true);
    n.child.kill();
  }, 60_000);

  test('an inspector that cannot open (its port is taken): inspector_unavailable, the program runs on', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const n = start(process.execPath, [`--inspect-port=${port}`, '-e', "setInterval(() => {}, 1000); console.log('ready');"]);
    started.push(n);
    await n.waitOut(/ready/);
    checkTarget(n.pid);
    await expect(openInspector(n.pid, 1500)).rejects.toMatchObject({ code: 'inspector_unavailable', message: /did not open in 1500 ms/ });
    expect(n.err()).toMatch(/address already in use/);
    expect(alive(n.pid) && n.child.exitCode === null).toBe(true);
    n.child.kill();
    busy.close();
  }, 60_000);
});

describe('-ff on a program the command runs', () => {
  test('FILE.<task> and FILE.k<K>.<task>, same lines, nothing in FILE itself', async () => {
    const base = join(tmp, 'ff-run');
    const r = tracer(['-ff', '-o', base, '--', process.execPath, app, '0', 'two']);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    const files = readdirSync(tmp).filter((f) => f.startsWith('ff-run')).sort();
    expect(files).toEqual(['ff-run.3', 'ff-run.k2.3']);
    expect(lines(join(tmp, 'ff-run.3'))).toEqual([expect.stringMatching(/^\[\s+0\] client\[3\] -> io_read\(io_object: copy-send 112, offset: -1, amount: 4096\) = 0 \(data: 19 bytes "Welcome to the Hurd"\)$/)]);
    expect(lines(join(tmp, 'ff-run.k2.3'))).toEqual([expect.stringMatching(/^\[\s+0\] client\[3\] -> io_read\(.*"second kernel"\)$/)]);
  }, 60_000);
});

describe('-ff with -f', () => {
  test('FILE.<pid>.<task> and FILE.<pid>.k<K>.<task>', async () => {
    const base = join(tmp, 'ff-follow');
    const r = tracer(['-f', '-ff', '-o', base, '--', process.execPath, app, '0', 'two']);
    expect(await r.exited).toEqual({ code: 0, signal: null });
    const files = readdirSync(tmp).filter((f) => f.startsWith('ff-follow')).sort();
    expect(files).toHaveLength(2);
    const [one, two] = files as [string, string];
    const pid = /^ff-follow\.(\d+)\.3$/.exec(one)?.[1];
    expect(pid).toBeDefined();
    expect(two).toBe(`ff-follow.${pid}.k2.3`);
    // No [pid N] prefix in the files: their names say it.
    expect(lines(join(tmp, one))).toEqual([expect.stringMatching(/^\[\s+0\] client\[3\] -> io_read\(.*"Welcome to the Hurd"\)$/)]);
    expect(lines(join(tmp, two))).toEqual([expect.stringMatching(/^\[\s+0\] client\[3\] -> io_read\(.*"second kernel"\)$/)]);
  }, 60_000);
});

describe('arguments', () => {
  test('-p and -ff', () => {
    expect(parseArgs(['-p', '123', '-c'])).toMatchObject({ options: { attach: 123, summary: true, command: [] } });
    expect(parseArgs(['-ff', '-o', 'x', '-p', '5'])).toMatchObject({ options: { attach: 5, perTask: true, output: 'x' } });
    expect(parseArgs(['-ff', '-o', 'x', 'node', 'a'])).toMatchObject({ options: { attach: null, perTask: true, command: ['node', 'a'] } });
    for (const [argv, msg] of [
      [['-p', 'abc'], /-p wants a process id, got 'abc'/],
      [['-p', '0'], /-p wants a process id/],
      [['-p', '12', '--', 'node', 'x'], /give no command/],
      [['-p', '12', '-f'], /-p goes with neither/],
      [['-p', '12', '--kernel', 'sim'], /-p goes with neither/],
      [['-ff', 'node', 'x'], /-ff writes one file per task: it needs -o FILE/],
      [['-ff', '-c', '-o', 'x', 'node', 'x'], /-c prints none/],
    ] as const) {
      expect(() => parseArgs(argv)).toThrow(msg);
    }
    const help = parseArgs(['--help']);
    expect('help' in help && help.help).toMatch(/-p, --attach <pid>/);
    expect('help' in help && help.help).toMatch(/--ff/);
  });
});
