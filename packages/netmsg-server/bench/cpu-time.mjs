// CPU time for the benchmarks' "where the time goes" tables: this process's
// own, and a server child's read from /proc (Linux).
import { readFileSync } from 'node:fs';

const TICK_US = 1e6 / 100; // /proc/PID/stat counts CPU time in USER_HZ (100/s on Linux)

/** CPU time (user + system, every thread) of a process, us. */
export function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}

/** This process's CPU time (user + system), us. */
export function selfCpu() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Runs f(), adding this process's and `serverPid`'s CPU time to acc.client / acc.server and `n` to acc.n. */
export async function withCpu(acc, serverPid, n, f) {
  const c0 = selfCpu();
  const s0 = cpuOf(serverPid);
  const r = await f();
  acc.client += selfCpu() - c0;
  acc.server += cpuOf(serverPid) - s0;
  acc.n += n;
  return r;
}
