import {
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  type Abi,
  type MachMessage,
  type MsgItem,
} from 'mach-msg';
import type { KernelAction } from '../actions.js';
import { PagerCoreError } from '../errors.js';
import type { PagerEvent } from '../events.js';
import { RETURN_MODE_CODES, VM_PROT_WRITE, type KernelId } from '../types.js';
import { MSGID } from './ids.js';
import { bool, expectItems, int32, oolBytes, port, readBool, readInt, readOol, readPort, readWord, vmWord } from './items.js';

/** What turning a received message into an engine event needs to know. */
export interface DecodeContext<D> {
  pageSize: number;
  /**
   * The pages of a data_return: `bytes` of out-of-line data at `address`
   * (in this task), one D per page. Required to accept data_return.
   */
  readPages?: (address: bigint, bytes: number) => D[];
  /**
   * change_completed carries no control port, only arrives on the reply port
   * given in change_attributes: name the kernel it belongs to.
   */
  kernelForReplyPort?: (port: number) => KernelId | undefined;
}

function pages(ctx: { pageSize: number }, offset: number, length: number, id: number): { page: number; count: number } {
  if (offset % ctx.pageSize !== 0 || length % ctx.pageSize !== 0 || length === 0) {
    throw new PagerCoreError('bad-message', `message ${id}: range ${offset}+${length} is not whole pages of ${ctx.pageSize}`);
  }
  return { page: offset / ctx.pageSize, count: length / ctx.pageSize };
}

/**
 * A received kernel-to-pager message (as mach-msg decoded it) as an engine
 * event. Returns undefined for messages the engine has no use for
 * (memory_object_copy, supply_completed); throws a PagerCoreError
 * ('bad-message', 'unknown-msgid') for anything malformed or foreign.
 * The kernel is named by its control port, as it appears in the body.
 */
export function messageToEvent<D>(msg: MachMessage, ctx: DecodeContext<D>): PagerEvent<D> | undefined {
  const id = msg.header.id;
  switch (id) {
    case MSGID.memory_object_init:
      expectItems(msg, 3);
      return { kind: 'init', kernel: readPort(msg, 0), pageSize: readWord(msg, 2) };
    case MSGID.memory_object_terminate:
      expectItems(msg, 2);
      return { kind: 'terminate', kernel: readPort(msg, 0) };
    case MSGID.memory_object_data_request:
    case MSGID.memory_object_data_unlock: {
      expectItems(msg, 4);
      const r = pages(ctx, readWord(msg, 1), readWord(msg, 2), id);
      const access = (readInt(msg, 3) & VM_PROT_WRITE) !== 0 ? 'write' : 'read';
      const kind = id === MSGID.memory_object_data_request ? 'dataRequest' : 'dataUnlock';
      return { kind, kernel: readPort(msg, 0), ...r, access };
    }
    case MSGID.memory_object_lock_completed: {
      expectItems(msg, 3);
      return { kind: 'lockCompleted', kernel: readPort(msg, 0), ...pages(ctx, readWord(msg, 1), readWord(msg, 2), id) };
    }
    case MSGID.memory_object_data_return: {
      expectItems(msg, 5);
      const offset = readWord(msg, 1);
      const ool = readOol(msg, 2);
      const r = pages(ctx, offset, ool.bytes, id);
      if (!ctx.readPages) throw new PagerCoreError('bad-message', 'data_return needs DecodeContext.readPages');
      const data = ctx.readPages(ool.address, ool.bytes);
      if (data.length !== r.count) {
        throw new PagerCoreError('bad-message', `readPages gave ${data.length} pages for ${r.count}`);
      }
      return { kind: 'dataReturn', kernel: readPort(msg, 0), page: r.page, data, dirty: readBool(msg, 3), kernelCopy: readBool(msg, 4) };
    }
    case MSGID.memory_object_change_completed: {
      expectItems(msg, 2);
      const kernel = ctx.kernelForReplyPort?.(msg.header.localPort);
      if (kernel === undefined) throw new PagerCoreError('bad-message', `change_completed on unknown reply port ${msg.header.localPort}`);
      return { kind: 'changeCompleted', kernel };
    }
    case MSGID.dead_name:
      expectItems(msg, 1);
      return { kind: 'kernelDied', kernel: readPort(msg, 0) };
    case MSGID.memory_object_copy:
    case MSGID.memory_object_supply_completed:
      return undefined;
    default:
      throw new PagerCoreError('unknown-msgid', `message id ${id} is not part of the memory_object interface`);
  }
}

/** What turning an engine action into a message needs. */
export interface EncodeContext<D> {
  abi: Abi;
  pageSize: number;
  /**
   * Place a page's data out of line: its address in this task, its length,
   * and whether the kernel should deallocate it (the last supply of a buffer).
   */
  placeData?: (data: D) => { address: bigint; bytes: number; deallocate: boolean };
  /** The port a kernel replies on (lock_completed, change_completed); 0 = none. */
  replyPort?: (kernel: KernelId) => number;
}

/**
 * A kernel-bound engine action as the message to send on the kernel's
 * control port (a `mach` simpleroutine: remote COPY_SEND, no local port).
 */
export function actionToMessage<D>(a: KernelAction<D>, ctx: EncodeContext<D>): MachMessage {
  const { abi } = ctx;
  const off = (page: number) => vmWord(abi, page * ctx.pageSize);
  const size = (count: number) => vmWord(abi, count * ctx.pageSize);
  const replyTo = (wanted: boolean) => port(abi, MACH_MSG_TYPE_MAKE_SEND_ONCE, wanted ? (ctx.replyPort?.(a.kernel) ?? 0) : 0);
  let id: number;
  let items: MsgItem[];
  switch (a.kind) {
    case 'ready':
      id = MSGID.memory_object_ready;
      items = [bool(a.mayCache), int32(a.copyStrategy)];
      break;
    case 'dataSupply': {
      if (!ctx.placeData) throw new PagerCoreError('bad-message', 'data_supply needs EncodeContext.placeData');
      const placed = ctx.placeData(a.data);
      id = MSGID.memory_object_data_supply;
      items = [off(a.page), oolBytes(placed.address, placed.bytes, placed.deallocate), int32(a.lockValue), bool(a.precious), replyTo(false)];
      break;
    }
    case 'dataError':
      id = MSGID.memory_object_data_error;
      items = [off(a.page), size(a.count), int32(a.error)];
      break;
    case 'dataUnavailable':
      id = MSGID.memory_object_data_unavailable;
      items = [off(a.page), size(a.count)];
      break;
    case 'lockRequest':
      id = MSGID.memory_object_lock_request;
      items = [off(a.page), size(a.count), int32(RETURN_MODE_CODES[a.shouldReturn]), bool(a.flush), int32(a.lockValue), replyTo(a.reply)];
      break;
    case 'changeAttributes':
      id = MSGID.memory_object_change_attributes;
      items = [bool(a.mayCache), int32(a.copyStrategy), replyTo(a.reply)];
      break;
    case 'destroy':
      id = MSGID.memory_object_destroy;
      items = [int32(a.reason)];
      break;
  }
  const complex = items.some((i) => i.kind !== 'data');
  return {
    header: {
      bits: { remote: MACH_MSG_TYPE_COPY_SEND, local: 0, complex, other: 0 },
      remotePort: a.kernel,
      localPort: 0,
      seqno: 0,
      id,
    },
    items,
  };
}
