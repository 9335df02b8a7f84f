import { PAGE_SIZE, type MachKernel, type TaskId } from 'hurd-ffi';
import { VM_PROT_READ, VM_PROT_WRITE } from 'pager-core';
import type { FsClient, RemotePort } from './client.js';
import { HurdErrno } from './errno.js';
import { isNetmsgServerError, NetmsgServerError } from './errors.js';
import { O_READ, O_WRITE } from './hurd-types.js';

/**
 * Remote memory, client side: a file of a node's export mapped into a task
 * on the client's own kernel. `io_map` on the file gives a send right to the
 * file's memory object (a netmsg proxy on this kernel for the pager's port on
 * the node); `vm_map` of it makes this kernel send memory_object_init to the
 * proxy, which netmsg carries to the node's file pager. From then on, page
 * faults here are data_request / data_unlock messages to that pager, which
 * keeps every kernel mapping the file coherent (pager-core's engine): a read
 * here sees the last write made on any kernel.
 */

export interface MapOptions {
  /** Map for writing (open with O_WRITE, use the write object, map read|write). Default false. */
  writable?: boolean;
  /** Bytes to map (default: the file's size at map time, rounded up to whole pages; at least one page). */
  size?: number;
  /** How many times to retry io_map's EAGAIN (the node was making the object's rights). Default 8. */
  retries?: number;
}

/** A mapping in a task of a kernel: bytes read and written through the kernel's VM (vm_read / vm_write). */
export class Mapping {
  private unmapped = false;

  constructor(
    readonly kernel: MachKernel,
    readonly task: TaskId,
    /** Start address in the task. */
    readonly address: number,
    /** Mapped length in bytes (whole pages). */
    readonly size: number,
    readonly writable: boolean,
  ) {}

  /**
   * vm_map of `memoryObject` (a send right in `task`) at any address.
   * The right is not consumed; drop it afterwards if it is no longer needed.
   */
  static async create(kernel: MachKernel, task: TaskId, memoryObject: number, size: number, writable: boolean): Promise<Mapping> {
    const len = Math.max(PAGE_SIZE, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    const access = writable ? VM_PROT_READ | VM_PROT_WRITE : VM_PROT_READ;
    const r = await kernel.vmMap(task, { memoryObject, offset: 0, size: len, anywhere: true, access });
    if (r.kr !== 0) throw new NetmsgServerError('map_failed', `vm_map of the memory object failed: kern_return 0x${r.kr.toString(16)}`, r.kr);
    return new Mapping(kernel, task, r.address, len, writable);
  }

  private check(offset: number, length: number): void {
    if (this.unmapped) throw new NetmsgServerError('map_failed', 'the mapping was unmapped');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new NetmsgServerError('map_failed', `range ${offset}+${length} is outside the mapping (${this.size} bytes)`);
    }
  }

  /** Bytes at `offset`, faulting pages in from the pager as needed. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.check(offset, length);
    if (length === 0) return new Uint8Array(0);
    const r = await this.kernel.vmRead(this.task, this.address + offset, length);
    if (r.kr !== 0 || !r.data) throw new NetmsgServerError('map_failed', `read at ${offset}: kern_return 0x${r.kr.toString(16)}`, r.kr);
    return r.data;
  }

  /** Writes `data` at `offset` (a write fault gets write access from the pager first). */
  async write(offset: number, data: Uint8Array): Promise<void> {
    this.check(offset, data.length);
    if (!this.writable) throw new NetmsgServerError('map_failed', 'the mapping is read-only (map with { writable: true })');
    if (data.length === 0) return;
    const kr = await this.kernel.vmWrite(this.task, this.address + offset, data);
    if (kr !== 0) throw new NetmsgServerError('map_failed', `write at ${offset}: kern_return 0x${kr.toString(16)}`, kr);
  }

  /**
   * vm_deallocate: when it is this kernel's last mapping of the object, the
   * kernel returns its dirty pages and terminates the object, so the node's
   * pager writes them to the file.
   */
  async unmap(): Promise<void> {
    if (this.unmapped) return;
    this.unmapped = true;
    const kr = await this.kernel.vmDeallocate(this.task, this.address, this.size);
    if (kr !== 0) throw new NetmsgServerError('map_failed', `vm_deallocate: kern_return 0x${kr.toString(16)}`, kr);
  }
}

/**
 * io_map with the retry of its EAGAIN: the names of the read and write
 * memory objects in the client task (0 = none).
 */
export async function ioMap(client: FsClient, port: RemotePort, retries = 8): Promise<{ read: number; write: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await client.call(port, 'io_map', {});
      return { read: nameOf(r.args['memobjrd']), write: nameOf(r.args['memobjwt']) };
    } catch (e) {
      if (!(isNetmsgServerError(e) && e.kern === HurdErrno.EAGAIN && attempt < retries)) throw e;
      await new Promise((res) => setTimeout(res, 5 * (attempt + 1)));
    }
  }
}

/**
 * Map the file at `path` of the client's node into the client task:
 * dir_lookup, io_stat (size), io_map, vm_map. The mapping stays valid after
 * the file port and the object right are released (the kernel holds its own).
 */
export async function mapFile(client: FsClient, path: string, options: MapOptions = {}): Promise<Mapping> {
  const writable = options.writable ?? false;
  const port = await client.lookup(path, O_READ | (writable ? O_WRITE : 0));
  const k = client.kernel;
  const rights: number[] = [];
  try {
    const size = options.size ?? Number((await client.statPort(port)).size);
    const objs = await ioMap(client, port, options.retries);
    for (const n of [objs.read, objs.write]) if (n !== 0) rights.push(n);
    const obj = writable ? objs.write : objs.read;
    if (obj === 0) {
      throw new NetmsgServerError('map_failed', `${path}: the node gave no ${writable ? 'write' : 'read'} memory object`);
    }
    return await Mapping.create(k, client.task, obj, size, writable);
  } finally {
    for (const n of rights) await k.portDeallocate(client.task, n);
    client.release(port);
  }
}

function nameOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'number') return (v as { name: number }).name;
  return 0;
}
