/**
 * Runs a scenario on a MachKernel (the simulated one) exactly as the C
 * interpreter runs it on GNU Mach: the same slots, the same message buffer
 * (filled with 0xdb, the template copied in, names and out-of-line pointers
 * patched), the same rule for what to record. The result is a RawScenario in
 * the shape parseSerialLog produces, so both backends normalize alike.
 */
import type { MachKernel, TaskId } from '../src/index.js';
import { sendSizeOf } from './bundle.js';
import { encodeMsg, headerSize, msgAlign, ptrSize, toHex } from './encode-msg.js';
import { RCV } from './mach.js';
import type { RawScenario, RawStep } from './raw.js';
import type { Abi, NameRef, Scenario, Step } from './scenario.js';

const BUFSZ = 65536;
const PAGE = 4096;
const RCV_TOO_LARGE = 0x10004004;

export async function runOnKernel(kernel: MachKernel, scenario: Scenario, abi: Abi): Promise<RawScenario> {
  const task0 = await kernel.taskCreate({ name: scenario.id, abi });
  let task2: TaskId | undefined;
  const slots = new Map<string, number>();
  const hidden = new Set((await kernel.portNames(task0)).names);
  let rnames: number[] = [];
  const ref = (r: NameRef): number => (typeof r === 'string' ? (slots.get(r) ?? 0) : r >>> 0);
  const taskOf = (t: 0 | 1 | undefined): TaskId => (t === 1 ? (task2 ?? -1) : task0);
  const steps: RawStep[] = [];

  const runMsg = async (i: number, step: Extract<Step, { op: 'msg' }>): Promise<RawStep> => {
    const enc = step.send === undefined ? undefined : encodeMsg(step.send, abi);
    const tmpl = enc?.bytes ?? new Uint8Array(0);
    const sendSize = sendSizeOf(step, tmpl.length);
    const rcvSize = step.rcvSize ?? 0;
    // The buffer holds the whole template (as the C interpreter's does) even
    // when send_size cuts the message short, so that patches land in it.
    let region = Math.max(sendSize, rcvSize, headerSize(abi), tmpl.length);
    region = Math.min(region, BUFSZ);
    const buf = new Uint8Array(region).fill(0xdb);
    buf.set(tmpl.subarray(0, region));
    const dv = new DataView(buf.buffer);
    const allocated: Array<[number, number]> = [];
    for (const p of enc?.patches ?? []) {
      if (p.kind === 'name') dv.setUint32(p.offset, ref(p.ref), true);
      else if (p.kind === 'ptr') writePtr(dv, p.offset, p.value, abi);
      else {
        const blob = enc?.blobs[p.blob];
        if (blob === undefined) continue;
        const data =
          blob.kind === 'bytes'
            ? blob.bytes
            : (() => {
                const b = new Uint8Array(blob.refs.length * 4);
                const bv = new DataView(b.buffer);
                blob.refs.forEach((r, k) => bv.setUint32(4 * k, ref(r), true));
                return b;
              })();
        const size = Math.max(PAGE, Math.ceil((p.pageOffset + data.length) / PAGE) * PAGE);
        const a = await kernel.vmAllocate(task0, 0, size, true);
        if (a.kr !== 0) continue;
        allocated.push([a.address, size]);
        if (data.length > 0) await kernel.vmWrite(task0, a.address + p.pageOffset, data);
        writePtr(dv, p.offset, a.address + p.pageOffset, abi);
      }
    }
    const before = buf.slice();
    const args: Parameters<MachKernel['msg']>[1] = { options: step.options };
    if (step.options & 1) args.send = buf.slice(0, Math.min(sendSize, region));
    if (rcvSize !== 0 || step.options & RCV) args.rcvSize = rcvSize;
    if (step.rcvName !== undefined) args.rcvName = ref(step.rcvName);
    if (step.timeout !== undefined) args.timeout = step.timeout;
    if (step.notify !== undefined) args.notify = ref(step.notify);
    const res = await kernel.msg(task0, args);
    const kr = res.kr >>> 0;
    if (res.message !== undefined) buf.set(res.message.subarray(0, region));
    if (kr === RCV_TOO_LARGE && res.size !== undefined && res.message === undefined) dv.setUint32(4, res.size, true);
    const out: RawStep = { step: i, kr, vals: [] };
    if (!equalBytes(before, buf)) {
      let n = dv.getUint32(4, true);
      if (n < headerSize(abi) || n > region || kr === RCV_TOO_LARGE) n = headerSize(abi);
      out.msg = toHex(buf.subarray(0, n));
      if (step.options & RCV && (kr & ~0x3c00) === 0) rnames = await walkReceived(kernel, task0, buf.subarray(0, n), abi, out);
    }
    for (const [addr, size] of allocated) await kernel.vmDeallocate(task0, addr, size);
    return out;
  };

  for (const [i, step] of scenario.steps.entries()) {
    try {
      steps.push(await runStep(i, step));
    } catch (e) {
      steps.push({ step: i, kr: null, vals: [], error: e instanceof Error ? e.message : String(e) });
    }
  }

  async function runStep(i: number, step: Step): Promise<RawStep> {
    const r = (kr: number, vals: number[] = []): RawStep => ({ step: i, kr: kr >>> 0, vals: vals.map((v) => v >>> 0) });
    switch (step.op) {
      case 'allocate': {
        const a = await kernel.portAllocate(taskOf(step.task), step.right);
        if (a.kr === 0) slots.set(step.as, a.name);
        return r(a.kr, [a.kr === 0 ? a.name : 0]);
      }
      case 'deallocate':
        return r(await kernel.portDeallocate(taskOf(step.task), ref(step.name)));
      case 'modRefs':
        return r(await kernel.portModRefs(taskOf(step.task), ref(step.name), step.right, step.delta));
      case 'getRefs': {
        const g = await kernel.portGetRefs(taskOf(step.task), ref(step.name), step.right);
        return r(g.kr, [g.kr === 0 ? g.refs : 0]);
      }
      case 'insertRight':
        return r(await kernel.portInsertRight(taskOf(step.task), ref(step.name), ref(step.from), step.disp, task0));
      case 'extractRight': {
        const x = await kernel.portExtractRight(taskOf(step.task), ref(step.name), step.disp, task0);
        if (x.kr === 0) slots.set(step.as, x.name);
        return r(x.kr, x.kr === 0 ? [x.name, x.type] : [0, 0]);
      }
      case 'names': {
        const t = taskOf(step.task);
        const n = await kernel.portNames(t);
        const out = r(n.kr);
        if (n.kr === 0) {
          out.names = [];
          n.names.forEach((name, k) => {
            if (t === task0 && hidden.has(name)) return;
            out.names?.push([name >>> 0, (n.types[k] ?? 0) >>> 0]);
          });
          if (out.names.length === 0) delete out.names;
        }
        return out;
      }
      case 'type': {
        const t = await kernel.portType(taskOf(step.task), ref(step.name));
        return r(t.kr, [t.kr === 0 ? t.type : 0]);
      }
      case 'destroy':
        return r(await kernel.portDestroy(taskOf(step.task), ref(step.name)));
      case 'moveMember':
        return r(await kernel.portMoveMember(taskOf(step.task), ref(step.member), ref(step.after)));
      case 'setQlimit':
        return r(await kernel.portSetQlimit(taskOf(step.task), ref(step.name), step.qlimit));
      case 'setMscount':
        return r(await kernel.portSetMscount(taskOf(step.task), ref(step.name), step.mscount));
      case 'receiveStatus': {
        const s = await kernel.portGetReceiveStatus(taskOf(step.task), ref(step.name));
        const st = s.status;
        if (s.kr !== 0 || st === null) return r(s.kr);
        return r(s.kr, [
          st.pset,
          st.seqno,
          st.mscount,
          st.qlimit,
          st.msgcount,
          st.sorights,
          st.srights ? 1 : 0,
          st.pdrequest ? 1 : 0,
          st.nsrequest ? 1 : 0,
        ]);
      }
      case 'requestNotification': {
        const q = await kernel.portRequestNotification(
          taskOf(step.task),
          ref(step.name),
          step.variant,
          step.sync,
          ref(step.notify),
          step.notifyDisp,
        );
        return r(q.kr, [q.kr === 0 ? q.previous : 0]);
      }
      case 'msg':
        return runMsg(i, step);
      case 'bind': {
        const n = rnames[step.index];
        slots.set(step.as, n ?? 0);
        return r(n === undefined ? 5 : 0);
      }
      case 'task2':
        task2 = await kernel.taskCreate({ name: `${scenario.id}-2`, abi });
        return r(0);
      case 'task2Terminate': {
        const kr = task2 === undefined ? 0x10000003 : await kernel.taskTerminate(task2);
        task2 = undefined;
        return r(kr);
      }
      case 'setPayload':
        return r(await kernel.portSetProtectedPayload(taskOf(step.task), ref(step.name), BigInt(step.payload >>> 0)));
      case 'clearPayload':
        return r(await kernel.portClearProtectedPayload(taskOf(step.task), ref(step.name)));
    }
  }
  return { steps };
}

function writePtr(dv: DataView, off: number, value: number, abi: Abi): void {
  if (off + ptrSize(abi) > dv.byteLength) return;
  dv.setUint32(off, value >>> 0, true);
  if (abi === 'x86_64') dv.setUint32(off + 4, Math.floor(value / 2 ** 32) >>> 0, true);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Mirrors interp.c's walk_received: names for `bind`, out-of-line bytes read and freed. */
async function walkReceived(kernel: MachKernel, task: TaskId, m: Uint8Array, abi: Abi, out: RawStep): Promise<number[]> {
  const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
  const size = m.length;
  const hs = headerSize(abi);
  const names: number[] = [dv.getUint32(8, true), dv.getUint32(abi === 'i386' ? 12 : 16, true)];
  let pos = hs;
  let item = 0;
  while (pos + 4 <= size) {
    const w = dv.getUint32(pos, true);
    let name: number, bits: number, number: number, inl: number;
    if (abi === 'x86_64') {
      if (pos + 8 > size) break;
      name = w & 0xff;
      bits = (w >>> 8) & 0xffff;
      inl = (w >>> 29) & 1;
      number = dv.getUint32(pos + 4, true);
      pos += 8;
    } else {
      name = w & 0xff;
      bits = (w >>> 8) & 0xff;
      number = (w >>> 16) & 0xfff;
      inl = (w >>> 28) & 1;
      if ((w >>> 29) & 1) {
        if (pos + 12 > size) break;
        name = dv.getUint32(pos + 4, true) & 0xffff;
        bits = dv.getUint32(pos + 4, true) >>> 16;
        number = dv.getUint32(pos + 8, true);
        pos += 12;
      } else pos += 4;
    }
    const isPort = name >= 15 && name <= 21;
    const nbytes = Math.ceil((number * bits) / 8);
    if (inl) {
      if (isPort && bits >= 32) {
        for (let i = 0; i < number && pos + i * (bits / 8) + 4 <= size; i++) names.push(dv.getUint32(pos + i * (bits / 8), true));
      }
      pos += nbytes;
    } else {
      if (pos + ptrSize(abi) > size) break;
      const addr = dv.getUint32(pos, true) + (abi === 'x86_64' ? dv.getUint32(pos + 4, true) * 2 ** 32 : 0);
      pos += ptrSize(abi);
      if (addr !== 0 && nbytes > 0 && nbytes <= 1 << 20) {
        const rd = await kernel.vmRead(task, addr, nbytes);
        const data = rd.data ?? new Uint8Array(0);
        (out.ool ??= []).push({ item, hex: toHex(data) });
        if (isPort && bits === 32) {
          const odv = new DataView(data.buffer, data.byteOffset, data.byteLength);
          for (let i = 0; i < number && 4 * i + 4 <= data.length; i++) names.push(odv.getUint32(4 * i, true));
        }
        await kernel.vmDeallocate(task, addr, nbytes);
      }
    }
    const a = msgAlign(abi);
    pos = Math.ceil(pos / a) * a;
    item++;
  }
  return names;
}
