import {
  MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_RIGHT_SEND, MACH_PORT_TYPE_DEAD_NAME, MACH_PORT_TYPE_SEND, MACH_PORT_TYPE_SEND_ONCE,
} from 'mach-msg';
import type { MachKernel, TaskId } from 'hurd-ffi';

/**
 * One user reference less on `name` in `task`, whatever kind of right it is
 * now: a send right whose port died has become a dead name (Mach keeps its
 * references on the dead name), a send-once right is deallocated whole.
 */
export async function dropRef(k: MachKernel, task: TaskId, name: number): Promise<void> {
  if (name === 0 || name >>> 0 === 0xffffffff) return;
  const t = await k.portType(task, name);
  if (t.kr !== 0) return;
  if (t.type & MACH_PORT_TYPE_DEAD_NAME) await k.portModRefs(task, name, MACH_PORT_RIGHT_DEAD_NAME, -1);
  else if (t.type & MACH_PORT_TYPE_SEND) await k.portModRefs(task, name, MACH_PORT_RIGHT_SEND, -1);
  else if (t.type & MACH_PORT_TYPE_SEND_ONCE) await k.portDeallocate(task, name);
}
