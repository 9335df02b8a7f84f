/**
 * The scenario bundle the C interpreter reads (c/interp.c): little-endian
 * 32-bit words.
 *
 *   bundle   = 'CONF' (0x464e4f43) nscenarios scenario*
 *   scenario = nsteps step*
 *   step     = opcode nwords arg[nwords]
 *
 * A port-name argument is either a literal name or REF_TAG | slot, where the
 * slot is the scenario's symbol index (see Slots). The msg step's arguments
 * are: task options send_size rcv_size rcv_name timeout notify template_len
 * nblobs npatches, the template words, each blob as (len, words), and each
 * patch as (kind offset a b) with kind 1 = name (a = ref), 2 = out-of-line
 * bytes (a = blob, b = page offset), 3 = out-of-line port names (a = blob of
 * refs), 4 = a literal pointer (a = low, b = high).
 */
import { encodeMsg } from './encode-msg.js';
import { OPCODES, scenarioProblems, Slots, type Abi, type NameRef, type Scenario, type Step } from './scenario.js';

export const REF_TAG = 0x5e000000;
const MAGIC = 0x464e4f43;

export function refWord(slots: Slots, ref: NameRef): number {
  return typeof ref === 'string' ? (REF_TAG | slots.slot(ref)) >>> 0 : ref >>> 0;
}

function padWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    out.push(((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0);
  }
  return out;
}

function stepArgs(step: Step, slots: Slots, abi: Abi): number[] {
  const r = (ref: NameRef): number => refWord(slots, ref);
  switch (step.op) {
    case 'allocate':
      return [step.task ?? 0, step.right, slots.slot(step.as)];
    case 'deallocate':
    case 'type':
    case 'destroy':
    case 'receiveStatus':
    case 'clearPayload':
      return [step.task ?? 0, r(step.name)];
    case 'modRefs':
      return [step.task ?? 0, r(step.name), step.right, step.delta >>> 0];
    case 'getRefs':
      return [step.task ?? 0, r(step.name), step.right];
    case 'insertRight':
      return [step.task ?? 0, r(step.name), r(step.from), step.disp];
    case 'extractRight':
      return [step.task ?? 0, r(step.name), step.disp, slots.slot(step.as)];
    case 'names':
      return [step.task ?? 0];
    case 'moveMember':
      return [step.task ?? 0, r(step.member), r(step.after)];
    case 'setQlimit':
      return [step.task ?? 0, r(step.name), step.qlimit];
    case 'setMscount':
      return [step.task ?? 0, r(step.name), step.mscount];
    case 'requestNotification':
      return [step.task ?? 0, r(step.name), step.variant, step.sync, r(step.notify), step.notifyDisp];
    case 'bind':
      return [slots.slot(step.as), step.index];
    case 'task2':
    case 'task2Terminate':
      return [];
    case 'setPayload':
      return [step.task ?? 0, r(step.name), step.payload >>> 0, 0];
    case 'msg': {
      const enc = step.send === undefined ? undefined : encodeMsg(step.send, abi);
      const tmpl = enc?.bytes ?? new Uint8Array(0);
      const words = [
        0,
        step.options >>> 0,
        sendSizeOf(step, tmpl.length),
        step.rcvSize ?? 0,
        r(step.rcvName ?? 0),
        step.timeout ?? 0,
        r(step.notify ?? 0),
        tmpl.length,
        enc?.blobs.length ?? 0,
        enc?.patches.length ?? 0,
        ...padWords(tmpl),
      ];
      for (const b of enc?.blobs ?? []) {
        if (b.kind === 'bytes') words.push(b.bytes.length, ...padWords(b.bytes));
        else words.push(b.refs.length * 4, ...b.refs.map(r));
      }
      for (const p of enc?.patches ?? []) {
        if (p.kind === 'name') words.push(1, p.offset, r(p.ref), 0);
        else if (p.kind === 'ool') words.push(2, p.offset, p.blob, p.pageOffset);
        else if (p.kind === 'oolPorts') words.push(3, p.offset, p.blob, p.pageOffset);
        else words.push(4, p.offset, p.value >>> 0, 0);
      }
      return words;
    }
  }
}

/** send_size of a msg step: explicit, or the encoded length minus `trim`. */
export function sendSizeOf(step: Extract<Step, { op: 'msg' }>, encodedLength: number): number {
  return step.sendSize ?? Math.max(0, encodedLength - (step.trim ?? 0));
}

export function encodeBundle(scenarios: readonly Scenario[], abi: Abi): Uint8Array {
  const words: number[] = [MAGIC, scenarios.length];
  const ids = new Set<string>();
  for (const sc of scenarios) {
    const problems = scenarioProblems(sc);
    if (problems.length > 0) throw new Error(`scenario ${sc.id}: ${problems.join('; ')}`);
    if (ids.has(sc.id)) throw new Error(`duplicate scenario id ${sc.id}`);
    ids.add(sc.id);
    const slots = new Slots();
    words.push(sc.steps.length);
    for (const step of sc.steps) {
      const args = stepArgs(step, slots, abi);
      words.push(OPCODES[step.op], args.length, ...args);
    }
  }
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}
