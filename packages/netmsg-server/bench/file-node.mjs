// A netmsg-server node for the bulk benches (bulk.mjs, read-sizes.mjs,
// write-bulk.mjs): its own process pinned to `cpu`, exporting a fresh
// directory that holds `big.bin` (the bytes given, if any; read-write with
// `readWrite`), with a secret file, and a client of it.
// BENCH_PROFILE_DIR=DIR runs the node under --cpu-prof (BENCH_PROFILE_INTERVAL=US: its sampling interval).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `wrap`: a command the node runs under (e.g. valgrind and its options), `stderr` its stderr, `timeoutMs` the client's call timeout.
export async function startFileNode({ pkg, connect, prefix, content, cpu, readWrite = false, wrap = [], stderr = 'inherit', timeoutMs = 600_000 }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const exportDir = join(dir, 'export');
  mkdirSync(exportDir);
  if (content !== undefined) writeFileSync(join(exportDir, 'big.bin'), content);
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const prof = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  // BENCH_PROFILE_INTERVAL=US: the profile's sampling interval (node's default, 1000 us, misses short steps).
  if (prof.length > 0 && process.env.BENCH_PROFILE_INTERVAL) prof.push(`--cpu-prof-interval=${process.env.BENCH_PROFILE_INTERVAL}`);
  // BENCH_NODE_FLAGS: more flags for the node's process (e.g. --perf-basic-prof for perf record).
  if (process.env.BENCH_NODE_FLAGS) prof.push(...process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean));
  const child = spawn('taskset', ['-c', cpu, ...wrap, process.execPath, ...prof, join(pkg, 'bin/netmsg-server.mjs'), 'serve', '--export', exportDir, ...(readWrite ? ['--read-write'] : []),
    '--listen', '127.0.0.1:0', '--secret-file', secretFile, '--log-level', 'silent',
    '--map-user', `${process.getuid()}:${process.getuid()}:${process.getgid()}`], { stdio: ['ignore', 'pipe', stderr] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = / on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`node exited ${c}`)));
  });
  const client = await connect(`127.0.0.1:${port}`, { secretFile, timeoutMs });
  return { dir, exportDir, secretFile, child, port, client };
}
