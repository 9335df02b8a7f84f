/**
 * -f (following the traced program's child processes) and --kernel/--abi,
 * through the command as a process (a private build: support/build.ts), with
 * real child processes, and the -f socket server in-process with real Unix
 * sockets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { startFollowServer } from '../src/cli/follow.js';
import { runCli } from '../src/cli/run.js';
import { FOLLOW_HELLO_MAX, followHello, parseFollowHello, parseKernelEnv, TRACE_SOCKET_ENV, TRACE_TOKEN_ENV } from '../src/wire.js';
import { buildCli, pkg } from './support/build.js';

const app = join(pkg, 'test/fixtures/app.mjs');
let cli: string;
let removeBuild: () => void = () => undefined;
beforeAll(() => {
  ({ cli, remove: removeBuild } = buildCli('follow'));
});
afterAll(() => removeBuild());

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: pkg });
const READ = 'client[3] -> io_read(io_object: copy-send 112, offset: -1, amount: 4096) = 0 (data: 19 bytes "Welcome to the Hurd")';

// A parent that runs app.mjs as a child process (spawnSync: it waits), then does app.mjs's RPC itself.
const parent = `const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [${JSON.stringify(app)}, '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(JSON.stringify({ parent: process.pid, child: r.pid, status: r.status }));
  await import(${JSON.stringify(app)});`;

describe('-f', () => {
  test("traces the program's child processes too, each line tagged [pid N]", () => {
    const r = run(['-f', '--', process.execPath, '--input-type=module', '-e', parent]);
    expect(r.status, r.stderr).toBe(0);
    const [first, done] = r.stdout.split('\n') as [string, string];
    const pids = JSON.parse(first) as { parent: number; child: number; status: number };
    expect(pids.status).toBe(0);
    expect(done).toBe('app done');
    // The two processes report on streams of their own: their lines may interleave either way.
    expect(r.stderr.trimEnd().split('\n').sort()).toEqual([`[pid ${pids.child}] [    0] ${READ}`, `[pid ${pids.parent}] [    0] ${READ}`].sort());
  });

  test('a stream with a bad record is dropped with one line; the other processes are still traced', () => {
    // The program opens a second stream itself (the token is in its environment) and sends a record of 5 bytes.
    const script = `const net = await import('node:net');
      const s = net.connect(process.env.HURD_RPCTRACE_SOCKET);
      await new Promise((r) => s.once('connect', r));
      s.write('HURD-RPCTRACE 1 ' + process.env.HURD_RPCTRACE_TOKEN + ' 999999\\n');
      await new Promise((r) => s.once('data', r));
      s.end(Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 5]));
      await new Promise((r) => s.once('close', r));
      console.log(process.pid);
      await import(${JSON.stringify(app)});`;
    const r = run(['-f', '--', process.execPath, '--input-type=module', '-e', script]);
    expect(r.status, r.stderr).toBe(0);
    const pid = Number(r.stdout.split('\n')[0]);
    expect(r.stderr.trimEnd().split('\n').sort()).toEqual(
      [`[pid ${pid}] [    0] ${READ}`, 'hurd-rpctrace: [pid 999999] bad trace record from the traced program: record length 5'].sort(),
    );
  });

  test('-c gives a table per process and kernel', () => {
    const r = run(['-f', '-c', '--', process.execPath, '--input-type=module', '-e', parent]);
    expect(r.status, r.stderr).toBe(0);
    const pids = JSON.parse(r.stdout.split('\n')[0]!) as { parent: number; child: number };
    const heads = r.stderr.split('\n').filter((l) => l.startsWith('pid '));
    expect(heads.sort()).toEqual([`pid ${pids.child} kernel 1:`, `pid ${pids.parent} kernel 1:`].sort());
    expect(r.stderr.match(/^ +1 +0 .* io_read$/gm)).toHaveLength(2);
  });

  test('without -f the child is not traced (as before), and the lines carry no [pid N]', () => {
    const r = run(['--', process.execPath, '--input-type=module', '-e', parent]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`[    0] ${READ}\n`);
  });

  test('a child made with child_process.fork is traced too', () => {
    const script = `const { fork } = await import('node:child_process');
      const c = fork(${JSON.stringify(app)}, ['0'], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }); // not the parent's --input-type
      const code = await new Promise((r) => c.once('exit', r));
      console.log(JSON.stringify({ child: c.pid, code }));`;
    const r = run(['-f', '--', process.execPath, '--input-type=module', '-e', script]);
    expect(r.status, r.stderr).toBe(0);
    const { child, code } = JSON.parse(r.stdout) as { child: number; code: number };
    expect(code).toBe(0);
    expect(r.stderr).toBe(`[pid ${child}] [    0] ${READ}\n`);
  });

  test('a program that is not node, running node children: the children are traced', () => {
    const r = run(['-f', '--', '/bin/sh', '-c', `"${process.execPath}" "${app}" 0 && "${process.execPath}" "${app}" 0`]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const pids = lines.map((l) => /^\[pid (\d+)\] \[ {4}0\] (.*)$/.exec(l));
    expect(pids.map((m) => m?.[2])).toEqual([READ, READ]);
    expect(pids[0]![1]).not.toBe(pids[1]![1]);
  });
});

describe('--kernel and --abi', () => {
  test("force the backend and ABI of the program's openKernel", () => {
    const r = run(['--json', '--kernel', 'sim', '--abi', 'i386', '--', process.execPath, app]);
    expect(r.status, r.stderr).toBe(0);
    const abis = r.stderr.trimEnd().split('\n').map((l) => (JSON.parse(l) as { abi: string | null }).abi);
    expect(abis).toEqual(['i386', 'i386', 'i386', 'i386']);
    const plain = run(['--json', '--', process.execPath, app]);
    expect(plain.stderr.trimEnd().split('\n').map((l) => (JSON.parse(l) as { abi: string | null }).abi)).toEqual(['x86_64', 'x86_64', 'x86_64', 'x86_64']);
  });

  test('parsing: values checked, link mode refuses them, the environment form', async () => {
    expect(parseArgs(['--kernel', 'gnumach', '--abi', 'i386', '-f', 'node', 'x'])).toMatchObject({ options: { kernel: { backend: 'gnumach', abi: 'i386' }, follow: true } });
    expect(parseArgs(['--kernel', 'gnumach', 'node', 'x'])).toMatchObject({ options: { kernel: { backend: 'gnumach', abi: null }, follow: false } });
    for (const [argv, msg] of [
      [['--kernel', 'hurd', 'node'], /--kernel wants sim or gnumach, got 'hurd'/],
      [['--kernel', 'gnumach', '--abi', 'arm', 'node'], /--abi wants i386 or x86_64/],
      [['--abi', 'i386', 'node'], /--abi goes with --kernel/],
      [['-f', '--listen', '7001', '--connect', '7000'], /link mode .* no --kernel, --abi or -f/],
    ] as const) {
      let err = '';
      expect(await runCli(argv, { stdout: () => {}, stderr: (s) => (err += s) })).toBe(2);
      expect(err).toMatch(msg);
    }
    expect(parseKernelEnv('gnumach:i386')).toEqual({ backend: 'gnumach', abi: 'i386' });
    expect(parseKernelEnv('sim')).toEqual({ backend: 'sim' });
    expect(parseKernelEnv('gnumach:arm')).toBeNull();
    expect(parseKernelEnv(undefined)).toBeNull();
  });

  test('--help lists -f, --kernel and --abi', async () => {
    let out = '';
    expect(await runCli(['--help'], { stdout: (s) => (out += s), stderr: () => {} })).toBe(0);
    expect(out).toMatch(/-f, --follow-forks/);
    expect(out).toMatch(/--kernel <backend>/);
    expect(out).toMatch(/--abi <abi>/);
  });
});

describe('the -f socket', () => {
  const open = (path: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  const answer = (s: Socket): Promise<string> =>
    new Promise((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.once('close', () => resolve(got));
      s.once('data', () => resolve(got));
    });

  test('takes a stream only with the right token; ends once stopped and every stream ended; leaves no socket', async () => {
    const data: string[] = [];
    const refused: string[] = [];
    let ended!: () => void;
    const whenEnded = new Promise<void>((r) => (ended = r));
    const f = await startFollowServer({ data: (stream, pid, bytes) => data.push(`${stream} ${pid} ${Buffer.from(bytes).toString()}`), refused: (w) => refused.push(w), ended });
    const path = f.env[TRACE_SOCKET_ENV]!;
    const token = f.env[TRACE_TOKEN_ENV]!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);

    const bad = await open(path);
    bad.write(followHello('0'.repeat(32), 4242) + 'records');
    expect(await answer(bad)).toBe('');
    const junk = await open(path);
    junk.write('GET / HTTP/1.1\r\n\r\n');
    expect(await answer(junk)).toBe('');
    const long = await open(path);
    long.write('x'.repeat(4096));
    expect(await answer(long)).toBe('');
    expect(refused).toEqual(['process 4242 gave a wrong token', 'a connection sent a bad hello line', 'a connection sent no hello line']);

    const good = await open(path);
    const ok = answer(good);
    good.write(followHello(token, 77) + 'abc');
    expect(await ok).toBe('OK\n');
    good.write('def');
    // Stopped with a stream still open: that stream is read to its end.
    f.stop();
    // A process that comes after stop() is turned away.
    const late = await open(path).then(
      (s) => answer(s),
      () => 'refused',
    );
    expect(['', 'refused']).toContain(late);
    // Its directory is gone at once, the stream still open: a tracer killed now leaves nothing behind.
    expect(existsSync(dirname(path))).toBe(false);
    good.end();
    await whenEnded;
    expect(data.join('')).toContain('0 77 abc');
    expect(data.map((d) => d.slice(d.indexOf(' ', 2) + 1)).join('')).toBe('abcdef');
    expect(existsSync(dirname(path))).toBe(false);
  });

  test('random first bytes are refused, never taken for a stream (fuzz, seeded)', async () => {
    const data: number[] = [];
    let refused = 0;
    let ended!: () => void;
    const whenEnded = new Promise<void>((r) => (ended = r));
    const f = await startFollowServer({ data: (stream) => data.push(stream), refused: () => refused++, ended });
    const path = f.env[TRACE_SOCKET_ENV]!;
    const token = f.env[TRACE_TOKEN_ENV]!;
    const inputs = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        // Well-formed hellos with some other token.
        fc.tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 1, max: 99999 })).map(([t, pid]) => new TextEncoder().encode(followHello(t === token ? 'f'.repeat(31) : t, pid))),
      ),
      { numRuns: 40, seed: 8 },
    );
    for (const bytes of inputs) {
      const s = await open(path);
      const got = answer(s);
      s.end(bytes);
      expect(await got).not.toContain('OK');
    }
    f.stop();
    await whenEnded;
    expect(data).toEqual([]);
    // Each input that says enough (a newline, or more than a hello's length) is refused once; shorter ones just end.
    const sayEnough = inputs.filter((b) => b.includes(10) || b.length > FOLLOW_HELLO_MAX).length;
    expect(sayEnough).toBeGreaterThan(0);
    expect(refused).toBe(sayEnough);
  });

  test('hello lines', () => {
    expect(parseFollowHello('HURD-RPCTRACE 1 00ff 12')).toEqual({ token: '00ff', pid: 12 });
    for (const bad of ['HURD-RPCTRACE 1 00ff 0', 'HURD-RPCTRACE 2 00ff 12', 'HURD-RPCTRACE 1 XYZ 12', 'HURD-RPCTRACE 1 00ff 12 x', '']) expect(parseFollowHello(bad)).toBeNull();
    expect(followHello('ab', 9)).toBe('HURD-RPCTRACE 1 ab 9\n');
  });
});
