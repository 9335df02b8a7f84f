import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { processRunning } from '../src/attach/target.js';

// `hurd-rpctrace -p` says "exited" or "detached" at its end: a target that
// has exited but is not yet reaped by its parent (a zombie) has exited.
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/**
 * A shell whose background child exits and is never reaped: `exec sleep`
 * takes the shell's place and never waits. The child exits only once its
 * parent has become `sleep`: a child that exits while the parent is still
 * bash is reaped by bash (its SIGCHLD handler), and no zombie is left.
 */
function withZombie(): Promise<{ parent: number; zombie: number }> {
  const script = 'p=$$; (while [ "$(cat /proc/$p/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 30';
  const c = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  return new Promise((resolve, reject) => {
    c.stdout!.once('data', (d: Buffer) => resolve({ parent: c.pid!, zombie: Number(String(d).trim()) }));
    c.once('error', reject);
  });
}

function state(pid: number): string {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return s.slice(s.lastIndexOf(')') + 1).trimStart()[0]!;
}

describe('processRunning', () => {
  test('a zombie has exited though kill(pid, 0) still finds it', async () => {
    const { parent, zombie } = await withZombie();
    // Wait until the background child has exited (state Z).
    for (let i = 0; i < 1000 && state(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(state(zombie)).toBe('Z');
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(processRunning(zombie)).toBe(false);
    expect(processRunning(parent)).toBe(true);
  });

  test('a process that is gone has exited; the tracer itself runs', () => {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(processRunning(pidMax + 1)).toBe(false);
    expect(processRunning(process.pid)).toBe(true);
  });
});
