import { execFileSync } from 'node:child_process';

/**
 * The QEMU processes descending from this process, so that a test can check
 * it left none running without counting other test runs' QEMUs; with
 * `withGuards`, also the sh guards whose command line names QEMU (hurd-ffi's
 * qemu.ts runs QEMU under one). Shared by the packages' real-kernel tests
 * (hurd-ffi, netmsg-server, rpctrace); read from `ps`.
 */
export function ourQemus(options: { withGuards?: boolean } = {}): string[] {
  const isQemu = (args: string): boolean => (options.withGuards ? args.includes('qemu-system') : /^\S*qemu-system/.test(args));
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [, pid, ppid] of rows) if (ours.has(ppid!) && !ours.has(pid!)) (ours.add(pid!), (grew = true));
  }
  return rows.filter(([, pid, , args]) => pid !== String(process.pid) && ours.has(pid!) && isQemu(args!)).map(([, pid]) => pid!);
}
