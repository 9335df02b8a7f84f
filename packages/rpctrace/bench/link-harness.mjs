// What the link benches share (bench/link.mjs: an io_read loop between
// netmsg-wire peers; bench/link-tree.mjs: a tree copy out of a netmsg-server
// node; bench/link-instructions.mjs): starting a process and waiting for the
// line that says where it listens, a process's CPU from /proc, the variants
// direct / plain relay / the tracer (-o FILE, -c; before and after with
// --against), interleaved rounds, and the table of medians.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const relay = join(here, 'link-relay.mjs');
const cliOf = (root) => join(root, 'bin/hurd-rpctrace.mjs');

/**
 * Starts `cmd args` and resolves with the process and the first match of
 * `re` on `stream`. With `cmd` 'taskset' the child's pid is node's (taskset
 * execs it), for /proc/PID/stat.
 */
export async function startMatching(cmd, args, stream, re, env = process.env) {
  const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  for await (const chunk of p[stream]) {
    text += chunk;
    const m = re.exec(text);
    if (m) {
      // Keep draining both pipes so the process never blocks on them.
      p.stdout.resume();
      p.stderr.resume();
      return { p, m };
    }
  }
  throw new Error(`no ${re} from ${args.join(' ')}: ${text}`);
}

/** startMatching for a Node script pinned to `cpus`. */
export const startPinned = (cpus, args, stream, re, env) => startMatching('taskset', ['-c', cpus, process.execPath, ...args], stream, re, env);

/** user+sys CPU ms of a process so far (clock ticks of 10 ms). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted after the command's ')' from field 3.
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * The variants of one bench, in the order they run each round: `client(port,
 * middle?)` is one measured run ({ ms, cpu, middleCpu }) against the server
 * at `port`, or through the process `middle` listening at that port.
 */
export function linkVariants({ cpus, env, port, client, against, secretFile, traceFile }) {
  async function through(args, stream, re) {
    const t = await startPinned(cpus, args, stream, re, env);
    try {
      return client(Number(t.m[1]), t.p);
    } finally {
      t.p.kill('SIGTERM');
      await once(t.p, 'exit');
    }
  }
  const traced = (root, extra) => () =>
    through([cliOf(root), '--listen', '127.0.0.1:0', '--connect', `127.0.0.1:${port}`, '--secret-file', secretFile, '-o', traceFile, ...extra], 'stderr', /listening on [^:]+:(\d+),/);
  const me = join(here, '..');
  return [
    ['direct', () => client(port)],
    ['plain TCP relay (the floor)', () => through([relay, String(port)], 'stdout', /^(\d+)\n/)],
    ...(against === undefined ? [] : [[`hurd-rpctrace -o FILE, before (${against})`, traced(against, [])]]),
    [`hurd-rpctrace -o FILE${against === undefined ? '' : ', after'}`, traced(me, [])],
    ...(against === undefined ? [] : [[`hurd-rpctrace -c, before`, traced(against, ['-c'])]]),
    [`hurd-rpctrace -c${against === undefined ? '' : ', after'}`, traced(me, ['-c'])],
  ];
}

/** Runs every variant once a round, `rounds` rounds; the samples by variant name. */
export async function runRounds(variants, rounds) {
  const samples = new Map(variants.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const [name, run] of variants) samples.get(name).push(await run());
  return samples;
}

export const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/**
 * Prints the table of medians: time (`timeLabel`), CPU of the three
 * processes and of the middle one per `unit` (`perUnit` of them a run,
 * `digits` decimals), each against direct and against the relay.
 */
export function printTable(variants, samples, { timeLabel, unit, perUnit, digits }) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const med = (name, key) => median(samples.get(name).map((s) => s[key]));
  const [directName, relayName] = [variants[0][0], variants[1][0]];
  const [base, floor] = [med(directName, 'ms'), med(relayName, 'ms')];
  const [baseCpu, floorCpu] = [med(directName, 'cpu'), med(relayName, 'cpu')];
  const us = (ms) => ((ms * 1000) / perUnit).toFixed(digits);
  console.log(`| variant | ${timeLabel} | x direct | x relay | CPU us/${unit} (all 3 processes) | x direct | x relay | middle process CPU us/${unit} |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name] of variants) {
    const m = med(name, 'ms');
    const c = med(name, 'cpu');
    console.log(`| ${name} | ${m.toFixed(0)} | x${(m / base).toFixed(2)} | x${(m / floor).toFixed(2)} | ${us(c)} | x${(c / baseCpu).toFixed(2)} | x${(c / floorCpu).toFixed(2)} | ${us(med(name, 'middleCpu'))} |`);
  }
}

/** The per-round times, as one JSON line. */
export const perRound = (samples) => JSON.stringify(Object.fromEntries([...samples].map(([n, xs]) => [n, xs.map((s) => Math.round(s.ms))])));
