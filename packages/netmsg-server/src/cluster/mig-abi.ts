import { getBuiltinInterface, MACH_MSG_TYPE_COPY_SEND, MIG_BAD_ARGUMENTS, type Abi, type MachMessage, type MsgItem, type TypeDescriptor } from 'mach-msg';
import { NetmsgServerError } from '../errors.js';
import { packStatI386, packStatX86_64, unpackStatI386, unpackStatX86_64 } from '../hurd-types.js';

/**
 * Fitting MIG data to the receiving task's ABI.
 *
 * netmsg-wire carries a message ABI-neutrally (PROTOCOL.md §3.2): ports and
 * descriptors are laid out by the receiving kernel, but a data item keeps
 * the element size its sender declared. Where a Hurd interface's MIG type
 * has an ABI-dependent width (`vm_size_t`, `time_value_t`, `timespec_t`,
 * `io_statbuf_t`, `fsys_statfsbuf_t`), an i386 task's stub would reject an
 * x86_64 sender's item (MIG_BAD_ARGUMENTS / MIG_TYPE_ERROR) and the reverse.
 * So the node that delivers a message into a task, knowing the msgh_id, fits
 * such items to its own ABI: integers widened (sizes zero-extended, times
 * sign-extended, so UTIME_NOW's -1 stays -1) or narrowed (clamped to what the
 * narrower type can hold), and the two structs repacked field by field.
 * Items that already have this ABI's type are left alone, as is every other
 * message, so it never matters which ABI (or relay) the message came through;
 * anything malformed is left for MIG's own type check to reject.
 *
 * Interfaces fitted: fsys, fs, io, interrupt (the filesystem export's), and
 * the external memory management messages both ways: memory_object (kernel
 * to pager: init, data_request, data_unlock, lock_completed, data_return,
 * supply_completed, copy, ...) and mach's memory_object_* (pager to kernel:
 * data_supply, lock_request, ready, change_attributes, data_error, ...).
 * Their ABI-dependent items are vm_offset_t / vm_size_t (MACH_MSG_TYPE_INTEGER_32
 * on i386, MACH_MSG_TYPE_INTEGER_64 on x86_64); ready, change_attributes,
 * terminate and io_map's reply differ only in ports, which the receiving
 * kernel lays out itself, so they pass unchanged.
 *
 * An object offset or length does not clamp: a clamped offset would name
 * another page. One that an i386 task cannot hold (>= 4 GiB) is left in its
 * 64-bit type, so the receiving stub's MIG type check rejects the message
 * (MIG_BAD_ARGUMENTS), as GNU Mach's own i386 stub would a 64-bit item,
 * rather than acting on a truncated value. Those messages are simpleroutines,
 * so that check would answer nobody: the delivering node refuses them
 * instead (`refuseUnfit`), and tells the sender what the Hurd's pager would.
 */

type Kind = 'size' | 'offset' | 'time' | 'stat' | 'statfs';
interface Fix {
  index: number;
  kind: Kind;
  mine: TypeDescriptor;
  other: TypeDescriptor;
}

const INTERFACES = ['fsys', 'fs', 'io', 'interrupt', 'memory_object', 'mach'] as const;
/** Of `mach`, only the memory manager's calls to the kernel (memory_object_*): a task's own kernel calls never cross netmsg. */
const inScope = (itf: string, routine: string): boolean => itf !== 'mach' || routine.startsWith('memory_object_');
/** External memory management: offsets and lengths within a memory object, never clamped. */
const isPagerInterface = (itf: string): boolean => itf === 'memory_object' || itf === 'mach';
const OTHER: Record<Abi, Abi> = { i386: 'x86_64', x86_64: 'i386' };
const tables = new Map<Abi, Map<number, Fix[]>>();

/** For `abi`: msgh_id -> the items whose type differs from the other ABI's (requests and replies). */
function fixesFor(abi: Abi): Map<number, Fix[]> {
  let t = tables.get(abi);
  if (t) return t;
  t = new Map();
  for (const name of INTERFACES) {
    const mine = getBuiltinInterface(name, abi);
    const other = getBuiltinInterface(name, OTHER[abi]);
    for (const [routine] of mine.byName) {
      if (!inScope(name, routine)) continue;
      const a = mine.routine(routine).layout;
      const b = other.routine(routine).layout;
      for (const side of ['request', 'reply'] as const) {
        const ma = a[side];
        const mb = b[side];
        if (!ma || !mb || ma.items.length !== mb.items.length) continue;
        const fixes: Fix[] = [];
        ma.items.forEach((it, index) => {
          const d1 = it.descriptor;
          const d2 = mb.items[index]!.descriptor;
          // Port items differ only in size: the receiving kernel lays those out itself.
          if (it.type.cValue.kind === 'port' || (d1.name === d2.name && d1.size === d2.size && d1.number === d2.number)) return;
          const kind: Kind = isPagerInterface(name) ? 'offset' : it.name === 'stat_info' ? 'stat' : routine === 'file_statfs' ? 'statfs' : /time/.test(it.name) ? 'time' : 'size';
          fixes.push({ index, kind, mine: d1, other: d2 });
        });
        if (fixes.length) t.set(ma.id, fixes);
      }
    }
  }
  tables.set(abi, t);
  return t;
}

/** `msg` with every ABI-dependent MIG item in `abi`'s type; the same object when nothing changes. */
export function fitMigAbi(msg: MachMessage, abi: Abi): MachMessage {
  if (abi === 'i386') msg = fitLongform(msg);
  const fixes = fixesFor(abi).get(msg.header.id);
  if (!fixes) return msg;
  let items: MsgItem[] | undefined;
  for (const f of fixes) {
    const it = msg.items[f.index];
    // An error reply has RetCode only; an item of this ABI's type needs nothing.
    if (!it || it.kind !== 'data' || !it.type.inline || it.type.name !== f.other.name || it.type.size !== f.other.size) continue;
    const data = convert(f, it.data, abi);
    if (!data) continue;
    items ??= [...msg.items];
    items[f.index] = { kind: 'data', type: { ...it.type, name: f.mine.name, size: f.mine.size, number: f.mine.number }, data };
  }
  return items ? { header: msg.header, items } : msg;
}

function convert(f: Fix, data: Uint8Array, to: Abi): Uint8Array | undefined {
  const from = OTHER[to];
  const inWidth = f.other.size / 8;
  if (data.length !== f.other.number * inWidth) return undefined;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const words: bigint[] = [];
  for (let i = 0; i < f.other.number; i++) words.push(inWidth === 8 ? v.getBigInt64(8 * i, true) : BigInt(v.getInt32(4 * i, true)));
  let out: bigint[];
  switch (f.kind) {
    case 'stat': {
      const s = from === 'i386' ? unpackStatI386(words) : unpackStatX86_64(words);
      out = to === 'i386' ? packStatI386(s).map(BigInt) : packStatX86_64(s);
      break;
    }
    case 'statfs':
      out = to === 'i386' ? statfsToI386(words) : statfsToX86_64(words);
      break;
    case 'time':
      // Signed on both sides (time_t, long): -1 / -2 (UTIME_NOW / UTIME_OMIT) keep their meaning.
      out = words.map((w) => (to === 'i386' ? clamp(w, -(1n << 31n), (1n << 31n) - 1n) : w));
      break;
    case 'size':
      // vm_size_t is unsigned: an i386 word is zero-extended; a 64-bit size an i386 task cannot hold is its largest.
      out = words.map((w) => (to === 'i386' ? clamp(BigInt.asUintN(64, w), 0n, 0xffffffffn) : BigInt.asUintN(32, w)));
      break;
    case 'offset':
      // vm_offset_t / vm_size_t within a memory object: zero-extended; one beyond 32 bits is not fitted (see above).
      if (to === 'i386' && words.some((w) => BigInt.asUintN(64, w) > 0xffffffffn)) return undefined;
      out = words.map((w) => BigInt.asUintN(to === 'i386' ? 64 : 32, w));
      break;
  }
  if (out.length !== f.mine.number) return undefined;
  const width = f.mine.size / 8;
  const bytes = new Uint8Array(out.length * width);
  const o = new DataView(bytes.buffer);
  out.forEach((w, i) => (width === 8 ? o.setBigUint64(8 * i, BigInt.asUintN(64, w), true) : o.setUint32(4 * i, Number(BigInt.asUintN(32, w)), true)));
  return bytes;
}

function clamp(w: bigint, lo: bigint, hi: bigint): bigint {
  return w < lo ? lo : w > hi ? hi : w;
}

/**
 * `struct statfs` (hurd-fs-interfaces.md §8): on i386 the fsblkcnt/fsfilcnt
 * fields and f_fsid are two words each and there are three spare words; on
 * x86_64 every field is one word and two are spare.
 */
const STATFS_I386_WIDTHS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 1, 1]; // type bsize blocks bfree bavail files ffree fsid namelen favail frsize flag

function statfsToX86_64(w: bigint[]): bigint[] {
  const out: bigint[] = [];
  let at = 0;
  for (const n of STATFS_I386_WIDTHS) {
    out.push(n === 1 ? BigInt.asUintN(32, w[at]!) : (BigInt.asUintN(32, w[at + 1]!) << 32n) | BigInt.asUintN(32, w[at]!));
    at += n;
  }
  return [...out, 0n, 0n];
}

function statfsToI386(w: bigint[]): bigint[] {
  const out: bigint[] = [];
  STATFS_I386_WIDTHS.forEach((n, i) => {
    const x = BigInt.asUintN(64, w[i]!);
    if (n === 1) out.push(BigInt.asIntN(32, x));
    else out.push(BigInt.asIntN(32, x & 0xffffffffn), BigInt.asIntN(32, x >> 32n));
  });
  return [...out, 0n, 0n, 0n];
}

/**
 * The i386 short type descriptor holds msgt_number in 12 bits and msgt_size
 * in 8 (seed-system.md §1.3); x86_64's has room for any count. An item that
 * came from an x86_64 sender with more elements (out-of-line data of 4 KiB
 * and up, say) takes the long form on an i386 receiver, as MIG does.
 */
function fitLongform(msg: MachMessage): MachMessage {
  let items: MsgItem[] | undefined;
  msg.items.forEach((it, i) => {
    if (it.type.longform || (it.type.number <= 0xfff && it.type.size <= 0xff)) return;
    items ??= [...msg.items];
    items[i] = { ...it, type: { ...it.type, longform: true } } as MsgItem;
  });
  return items ? { header: msg.header, items } : msg;
}

/** A message refused at delivery (`refuseUnfit`): the error, and what to send back instead, if anyone can be told. */
export interface UnfitRefusal {
  error: NetmsgServerError;
  /**
   * For memory_object_data_request / data_unlock: memory_object_data_error on
   * the request's memory_control right (a name in the delivering task), as a
   * pager that cannot serve the range answers, so the kernel fails that fault
   * instead of waiting for a page forever. Its offset and size keep the
   * 64-bit type the request came with (the kernel that asked is x86_64).
   */
  answer?: MachMessage;
}

/** Kernel to pager requests whose memory_control right can take a data_error. */
const ANSWERED = new Set(['memory_object_data_request', 'memory_object_data_unlock']);

/**
 * For an i386 receiving task: a memory_object / mach memory_object_* message
 * whose offset or length does not fit its 32-bit vm_offset_t / vm_size_t, or
 * undefined when the message fits (or is none of those). Pure: the caller
 * destroys the message's rights and sends the answer.
 */
export function refuseUnfit(msg: MachMessage, abi: Abi): UnfitRefusal | undefined {
  if (abi !== 'i386') return undefined;
  const fixes = fixesFor(abi).get(msg.header.id);
  if (!fixes || fixes[0]!.kind !== 'offset') return undefined;
  const wide: bigint[] = [];
  for (const f of fixes) {
    const it = msg.items[f.index];
    if (!it || it.kind !== 'data' || !it.type.inline || it.type.name !== f.other.name || it.type.size !== f.other.size) continue;
    if (it.data.length !== f.other.number * 8) continue;
    const v = new DataView(it.data.buffer, it.data.byteOffset, it.data.byteLength);
    for (let i = 0; i < f.other.number; i++) wide.push(v.getBigUint64(8 * i, true));
  }
  if (!wide.some((w) => w > 0xffffffffn)) return undefined;
  const routine = routineOf(msg.header.id);
  const error = new NetmsgServerError(
    'abi_unfit',
    `${routine}: offset/length ${wide.map((w) => `0x${w.toString(16)}`).join(', ')} does not fit an i386 task's vm_offset_t (32 bits); refused, not truncated`,
    MIG_BAD_ARGUMENTS,
  );
  if (!ANSWERED.has(routine)) return { error };
  const control = msg.items[0];
  if (!control || control.kind !== 'ports' || control.names.length !== 1 || control.names[0] === 0) return { error };
  const [offset, length] = wide;
  const r = getBuiltinInterface('mach', 'x86_64').routine('memory_object_data_error');
  const enc = r.encodeRequest({ offset: offset!, size: length!, error_value: MIG_BAD_ARGUMENTS }, { header: { remotePort: control.names[0]! } });
  return { error, answer: { header: { ...enc.header, bits: { ...enc.header.bits, remote: MACH_MSG_TYPE_COPY_SEND } }, items: enc.items } };
}

function routineOf(id: number): string {
  for (const name of ['memory_object', 'mach'] as const) {
    const r = getBuiltinInterface(name, 'i386').byId.get(id);
    if (r) return r.name;
  }
  return `msgh_id ${id}`;
}
