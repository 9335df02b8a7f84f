/**
 * The agent link protocol (conformance/c/agent.c), pure: no I/O here.
 *
 * After the agent's line "HURD-FFI AGENT READY <abi>\n", every exchange is
 * one request frame and one reply frame, each a little-endian u32 length then
 * that many bytes:
 *   request = tag task op nwords arg[nwords]        (u32 words)
 *   reply   = tag, then text lines (steps.c's format):
 *     R <step> <kr> [v ...]   the call's return code and values (hex)
 *     N <step> <name> <type>  one mach_port_names entry
 *     M <step> <hex>          the message buffer after mach_msg
 *     D <step> <hex>          bytes read from task memory
 *     X <why>                 the agent could not run the request
 *     # <note>                a remark, ignored
 * and, unasked, an event frame with tag 0 for a message that arrived on a
 * watched port: "W <task> <name>" then its M line.
 * A step's opcode is the scenario interpreter's (conformance/bundle.ts), run
 * by the same C code (conformance/c/steps.c) in the task's own space.
 */
import { HurdFfiError } from '../errors.js';

/** The step opcodes of conformance/c/steps.c: one table for the agent and the scenario interpreter. */
export const OP = {
  allocate: 1,
  deallocate: 2,
  modRefs: 3,
  getRefs: 4,
  insertRight: 5,
  extractRight: 6,
  names: 7,
  type: 8,
  destroy: 9,
  moveMember: 10,
  setQlimit: 11,
  setMscount: 12,
  receiveStatus: 13,
  requestNotification: 14,
  msg: 15,
  /** Scenario-only steps (conformance/scenario.ts): bind a name, a second task, its end. */
  bind: 16,
  task2: 17,
  setPayload: 18,
  clearPayload: 19,
  task2Terminate: 20,
  vmAllocate: 21,
  vmDeallocate: 22,
  vmRead: 23,
  vmWrite: 24,
  watch: 25,
  fsClient: 26,
  taskCreate: 100,
  taskTerminate: 101,
  ping: 102,
  insertFrom: 103,
  extractTo: 104,
} as const;

export const READY_MARKER = 'HURD-FFI AGENT READY';
/** The agent's request buffer holds a 64 KiB message plus its arguments. */
export const MAX_REQUEST = 65536 + 4096;
/** The agent's message buffer (steps.c BUFSZ): the largest send or receive. */
export const AGENT_MSG_MAX = 65536;
/** vm_read/vm_write pieces: a reply of hex text stays well inside the agent's buffer. */
export const VM_CHUNK = 32768;

export function encodeRequest(tag: number, task: number, op: number, args: readonly number[], data?: Uint8Array): Uint8Array {
  const dataWords = data === undefined ? 0 : Math.ceil(data.length / 4);
  const nwords = args.length + dataWords;
  const len = (4 + nwords) * 4;
  const out = new Uint8Array(4 + len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true);
  dv.setUint32(4, tag >>> 0, true);
  dv.setUint32(8, task >>> 0, true);
  dv.setUint32(12, op >>> 0, true);
  dv.setUint32(16, nwords, true);
  args.forEach((w, i) => dv.setUint32(20 + 4 * i, w >>> 0, true));
  if (data !== undefined) out.set(data, 20 + 4 * args.length);
  return out;
}

/**
 * The tty link's escape for the host->agent stream: GNU Mach's comintr()
 * merges a run of 0x1b bytes that arrive in one receive interrupt into one
 * (gnumach-serial-link.md), so no 0x1b may cross: 0x1b -> 1c 02, 0x1c -> 1c 01.
 * The agent undoes it in link_getc. The agent->host direction is clean.
 */
export function escapeTty(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of bytes) if (b === 0x1b || b === 0x1c) extra++;
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.length + extra);
  let o = 0;
  for (const b of bytes) {
    if (b === 0x1b || b === 0x1c) {
      out[o++] = 0x1c;
      out[o++] = b === 0x1b ? 2 : 1;
    } else out[o++] = b;
  }
  return out;
}

/** Splits the byte stream from the agent into reply frames. */
export class FrameDecoder {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (joined.length - off >= 4) {
      const len = (joined[off]! | (joined[off + 1]! << 8) | (joined[off + 2]! << 16) | (joined[off + 3]! << 24)) >>> 0;
      if (len < 4 || len > 16 * 1024 * 1024) throw new HurdFfiError('link_lost', `bad frame length ${len} from the agent`);
      if (joined.length - off - 4 < len) break;
      frames.push(joined.slice(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.buf = joined.slice(off);
    return frames;
  }
}

export interface Reply {
  tag: number;
  /** The R line: return code, or null when the agent refused the request. */
  kr: number | null;
  vals: number[];
  names: Array<[number, number]>;
  msg?: Uint8Array;
  data?: Uint8Array;
  /** An X line: why the agent could not run the request. */
  refused?: string;
  /** A W line (event frames): the host task and the watched name the message arrived on. */
  event?: { task: number; name: number };
  /** A P line (event frames): the results of the C file client (fsclient.c) that ran in this host task. */
  clientDone?: number;
  /** D lines by step number (the C file client's data; `data` keeps the last one). */
  dataBySteps?: Map<number, Uint8Array>;
  /** R lines by step number, each [kr, ...values]. */
  results?: Map<number, number[]>;
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

export function parseReply(frame: Uint8Array): Reply {
  if (frame.length < 4) throw new HurdFfiError('link_lost', 'short reply frame from the agent');
  const tag = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  const text = Buffer.from(frame.buffer, frame.byteOffset + 4, frame.length - 4).toString('latin1');
  const r: Reply = { tag, kr: null, vals: [], names: [] };
  const results = new Map<number, number[]>();
  const dataBySteps = new Map<number, Uint8Array>();
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const f = line.split(' ');
    switch (f[0]) {
      case 'R':
        if (f[2] === 'unsupported') r.refused = 'unsupported step';
        else {
          r.kr = parseInt(f[2] ?? '', 16) >>> 0;
          r.vals = f.slice(3).map((x) => parseInt(x, 16) >>> 0);
          results.set(parseInt(f[1] ?? '0', 16) >>> 0, [r.kr, ...r.vals]);
        }
        break;
      case 'N':
        r.names.push([parseInt(f[2] ?? '0', 16) >>> 0, parseInt(f[3] ?? '0', 16) >>> 0]);
        break;
      case 'M':
        r.msg = hexBytes(f[2] ?? '');
        break;
      case 'D':
        r.data = hexBytes(f[2] ?? '');
        dataBySteps.set(parseInt(f[1] ?? '0', 16) >>> 0, r.data);
        break;
      case '#':
        break; // a note from the agent (e.g. MIG reset its reply port)
      case 'W':
        r.event = { task: parseInt(f[1] ?? '0', 16) >>> 0, name: parseInt(f[2] ?? '0', 16) >>> 0 };
        break;
      case 'P':
        r.clientDone = parseInt(f[1] ?? '0', 16) >>> 0;
        break;
      case 'X':
        r.refused = f.slice(1).join(' ');
        break;
      default:
        throw new HurdFfiError('link_lost', `unexpected line from the agent: ${line.slice(0, 80)}`);
    }
  }
  if (r.clientDone !== undefined) {
    // The C file client's report: several calls, told apart by step number.
    r.results = results;
    r.dataBySteps = dataBySteps;
  }
  if (r.kr === null && r.refused === undefined && r.event === undefined && r.clientDone === undefined) throw new HurdFfiError('link_lost', 'reply without a result line');
  return r;
}
