/**
 * A test pager's receive rights in task p: messages waited for port by
 * port, the same way on both backends. On gnumach the kernel's messages
 * reach Node through watch() (the mapping task's call waits on its fault
 * thread meanwhile); on sim the pager polls.
 */
import { expect } from 'vitest';
import { decodeMessage, MACH_RCV_MSG, MACH_RCV_TIMEOUT, type Abi, type MachMessage } from 'mach-msg';
import { GnumachKernel, type MachKernel, type TaskId } from '../src/index.js';

/** Bounds on waiting for a message (a hang guard, never a timing assertion). */
const POLLS = 20_000;

export function inbox(k: MachKernel, p: TaskId, abi: Abi, waitMs = 120_000) {
  const queues = new Map<number, Uint8Array[]>();
  let wake: (() => void) | undefined;
  return {
    async serve(name: number): Promise<void> {
      queues.set(name, []);
      if (k instanceof GnumachKernel) {
        const kr = await k.watch(p, name, (m) => {
          queues.get(name)!.push(m);
          wake?.();
        });
        expect(kr).toBe(0);
      }
    },
    async next(name: number): Promise<MachMessage> {
      const q = queues.get(name)!;
      if (k instanceof GnumachKernel) {
        const deadline = Date.now() + waitMs;
        while (q.length === 0 && Date.now() < deadline) {
          await new Promise<void>((res) => {
            wake = res;
            setTimeout(res, 200);
          });
        }
      } else {
        for (let i = 0; i < POLLS && q.length === 0; i++) {
          const r = await k.msg(p, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, timeout: 0 });
          if (r.message !== undefined) q.push(r.message);
          else await new Promise((res) => setImmediate(res));
        }
      }
      const bytes = q.shift();
      if (bytes === undefined) throw new Error(`no message arrived on the pager's port ${name}`);
      return decodeMessage(bytes, abi);
    },
    /** Nothing more queued on `name` right now (sim: one poll; gnumach: what arrived so far). */
    async empty(name: number): Promise<boolean> {
      if (!(k instanceof GnumachKernel)) {
        const r = await k.msg(p, { options: MACH_RCV_MSG | MACH_RCV_TIMEOUT, rcvName: name, timeout: 0 });
        if (r.message !== undefined) queues.get(name)!.push(r.message);
      }
      return queues.get(name)!.length === 0;
    },
  };
}
