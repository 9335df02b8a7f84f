/**
 * A small builder for scenarios: steps and message items in a line each.
 * Everything it returns is plain Scenario data (scenario.ts).
 */
import * as M from './mach.js';
import type { ItemSpec, MsgSpec, NameRef, Scenario, Step, TaskRef, TypeSpec } from './scenario.js';

export const DEFAULT_RCV_SIZE = 4096;

export function scenario(id: string, area: string, title: string, steps: Step[]): Scenario {
  return { id, area, title, steps };
}

// ---- ports ----
export const alloc = (as: string, right: number = M.RIGHT_RECEIVE, task?: TaskRef): Step =>
  task === undefined ? { op: 'allocate', right, as } : { op: 'allocate', right, as, task };
export const dealloc = (name: NameRef, task?: TaskRef): Step => withTask({ op: 'deallocate', name }, task);
export const destroy = (name: NameRef, task?: TaskRef): Step => withTask({ op: 'destroy', name }, task);
export const modRefs = (name: NameRef, right: number, delta: number, task?: TaskRef): Step =>
  withTask({ op: 'modRefs', name, right, delta }, task);
export const refs = (name: NameRef, right: number, task?: TaskRef): Step => withTask({ op: 'getRefs', name, right }, task);
export const type = (name: NameRef, task?: TaskRef): Step => withTask({ op: 'type', name }, task);
export const names = (task?: TaskRef): Step => withTask({ op: 'names' }, task);
export const status = (name: NameRef, task?: TaskRef): Step => withTask({ op: 'receiveStatus', name }, task);
export const qlimit = (name: NameRef, q: number): Step => ({ op: 'setQlimit', name, qlimit: q });
export const mscount = (name: NameRef, m: number): Step => ({ op: 'setMscount', name, mscount: m });
export const move = (member: NameRef, after: NameRef): Step => ({ op: 'moveMember', member, after });
/** Gives task 0's name `name` a send right made from its own receive right. */
export const makeSend = (name: NameRef): Step => ({ op: 'insertRight', name, from: name, disp: M.MAKE_SEND });
export const insert = (name: NameRef, from: NameRef, disp: number, task?: TaskRef): Step =>
  withTask({ op: 'insertRight', name, from, disp }, task);
export const extract = (name: NameRef, disp: number, as: string, task?: TaskRef): Step =>
  withTask({ op: 'extractRight', name, disp, as }, task);
export const task2 = (): Step => ({ op: 'task2' });
export const task2Terminate = (): Step => ({ op: 'task2Terminate' });
export const bind = (as: string, index: number): Step => ({ op: 'bind', as, index });
export const notify = (name: NameRef, variant: number, sync: number, notifyPort: NameRef, disp = M.MAKE_SEND_ONCE): Step => ({
  op: 'requestNotification',
  name,
  variant,
  sync,
  notify: notifyPort,
  notifyDisp: disp,
});

function withTask<T extends Step>(s: T, task: TaskRef | undefined): T {
  return task === undefined ? s : { ...s, task };
}

// ---- messages ----
export interface SendOpts {
  options?: number;
  timeout?: number;
  sendSize?: number;
  trim?: number;
  notify?: NameRef;
}
/** mach_msg(SEND | SEND_TIMEOUT, timeout 0): never blocks the interpreter. */
export const send = (msg: MsgSpec, o: SendOpts = {}): Step => {
  const s: Step = { op: 'msg', options: o.options ?? M.SEND | M.SEND_TIMEOUT, send: msg, timeout: o.timeout ?? 0 };
  if (o.sendSize !== undefined) s.sendSize = o.sendSize;
  if (o.trim !== undefined) s.trim = o.trim;
  if (o.notify !== undefined) s.notify = o.notify;
  return s;
};
export interface RecvOpts {
  options?: number;
  timeout?: number;
  size?: number;
}
/** mach_msg(RCV | RCV_TIMEOUT, timeout 0 by default): a poll. */
export const recv = (name: NameRef, o: RecvOpts = {}): Step => ({
  op: 'msg',
  options: o.options ?? M.RCV | M.RCV_TIMEOUT,
  rcvSize: o.size ?? DEFAULT_RCV_SIZE,
  rcvName: name,
  timeout: o.timeout ?? 0,
});

export interface MsgOpts {
  local?: NameRef;
  localDisp?: number;
  id?: number;
  complex?: boolean;
  otherBits?: number;
  size?: number;
  headerHigh?: number;
}
export function msg(remote: NameRef, remoteDisp: number, items: ItemSpec[] = [], o: MsgOpts = {}): MsgSpec {
  const complex = o.complex ?? items.some((it) => it.kind !== 'data');
  const m: MsgSpec = { remote, remoteDisp, id: o.id ?? 1000, items };
  if (complex) m.complex = true;
  if (o.local !== undefined) m.local = o.local;
  if (o.localDisp !== undefined) m.localDisp = o.localDisp;
  if (o.otherBits !== undefined) m.otherBits = o.otherBits;
  if (o.size !== undefined) m.size = o.size;
  if (o.headerHigh !== undefined) m.headerHigh = o.headerHigh;
  return m;
}

const le32 = (v: number): string => {
  const u = v >>> 0;
  return [u & 0xff, (u >>> 8) & 0xff, (u >>> 16) & 0xff, u >>> 24].map((b) => b.toString(16).padStart(2, '0')).join('');
};
export const int32 = (v: number, extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'data',
  type: { name: M.INTEGER_32, size: 32, number: 1, ...extra },
  data: le32(v),
});
export const int32s = (vs: number[], extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'data',
  type: { name: M.INTEGER_32, size: 32, number: vs.length, ...extra },
  data: vs.map(le32).join(''),
});
export const bytes = (hex: string, extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'data',
  type: { name: M.BYTE, size: 8, number: hex.length / 2, ...extra },
  data: hex,
});
export const port = (disp: number, name: NameRef, extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'ports',
  type: { name: disp, number: 1, ...extra },
  names: [name],
});
export const ports = (disp: number, ns: NameRef[], extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'ports',
  type: { name: disp, number: ns.length, ...extra },
  names: ns,
});
export const oolBytes = (hex: string, offset = 0, extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'ool',
  type: { name: M.BYTE, size: 8, number: hex.length / 2, inline: false, longform: true, ...extra },
  data: hex,
  offset,
});
export const oolPorts = (disp: number, ns: NameRef[], extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'oolPorts',
  type: { name: disp, size: 32, number: ns.length, inline: false, longform: true, ...extra },
  names: ns,
});
export const oolAt = (address: number, nbytes: number, extra: Partial<TypeSpec> = {}): ItemSpec => ({
  kind: 'oolAddress',
  type: { name: M.BYTE, size: 8, number: nbytes, inline: false, longform: true, ...extra },
  address,
});

/** `n` bytes of a recognisable pattern, as hex. */
export function pattern(n: number, seed = 1): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((i * 7 + seed * 13) & 0xff).toString(16).padStart(2, '0');
  return s;
}
