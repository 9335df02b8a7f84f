/**
 * A task's address space (vm_map), page-granular. Anonymous memory is zero
 * filled on first touch. Regions may also map an external memory object
 * (vm-object.ts); their pages are reached through the object's cache.
 */
export const PAGE_SIZE = 4096;
/** Lowest address handed out; page 0 stays unmapped so that 0 is never valid. */
export const VM_MIN_ADDRESS = 0x1000;
/** Top of the user address space we simulate (x86_64 canonical lower half). */
export const VM_MAX_ADDRESS = 2 ** 47;
/** Largest single allocation or transfer the simulation accepts (256 MiB). */
export const VM_MAX_TRANSFER = 256 * 1024 * 1024;

export const truncPage = (a: number): number => a - (a % PAGE_SIZE);
export const roundPage = (a: number): number => Math.ceil(a / PAGE_SIZE) * PAGE_SIZE;

/**
 * The private pages of a copy (copy-on-map) mapping with a delayed copy
 * strategy: GNU Mach's copy object, which shadows the memory object. Keyed by
 * object page index. Shared by the pieces a region is split into.
 */
export interface CopyStore {
  readonly pages: Map<number, Uint8Array>;
  /** Object page ranges [first, end) still mapped through this store. */
  ranges: [number, number][];
}

/** What maps an external object into a region (owned by vm-object.ts). */
export interface ObjectMapping {
  readonly objectId: number;
  /** Offset in the object of the region's first byte. */
  readonly offset: number;
  /** Maximum access (VM_PROT_* bits). */
  readonly access: number;
  /** Set for a copy mapping (vm_map with copy=TRUE): writes go to these private pages. */
  readonly copy?: CopyStore;
}

export interface VmRegion {
  start: number;
  end: number;
  mapping: ObjectMapping | null;
}

export class VmMap {
  /** Sorted, non-overlapping. */
  readonly regions: VmRegion[] = [];
  /** Anonymous pages by page number. */
  readonly pages = new Map<number, Uint8Array>();

  regionAt(addr: number): VmRegion | undefined {
    for (const r of this.regions) if (addr >= r.start && addr < r.end) return r;
    return undefined;
  }

  /** First-fit search from VM_MIN_ADDRESS, as vm_map_find_entry does. */
  findSpace(size: number): number | null {
    let at = VM_MIN_ADDRESS;
    for (const r of this.regions) {
      if (r.start - at >= size) return at;
      at = Math.max(at, r.end);
    }
    return VM_MAX_ADDRESS - at >= size ? at : null;
  }

  isFree(start: number, end: number): boolean {
    if (start < VM_MIN_ADDRESS || end > VM_MAX_ADDRESS) return false;
    return this.regions.every((r) => r.end <= start || r.start >= end);
  }

  insert(region: VmRegion): void {
    let i = 0;
    while (i < this.regions.length && this.regions[i]!.start < region.start) i++;
    this.regions.splice(i, 0, region);
  }

  /**
   * Removes [start, end) from every region, returning the removed pieces
   * (so that object mappings can be released). Unmapped parts are ignored.
   */
  remove(start: number, end: number): VmRegion[] {
    const removed: VmRegion[] = [];
    const kept: VmRegion[] = [];
    for (const r of this.regions) {
      if (r.end <= start || r.start >= end) {
        kept.push(r);
        continue;
      }
      const cutStart = Math.max(r.start, start);
      const cutEnd = Math.min(r.end, end);
      if (r.start < cutStart) kept.push({ start: r.start, end: cutStart, mapping: r.mapping });
      if (cutEnd < r.end) {
        const m = r.mapping;
        kept.push({
          start: cutEnd,
          end: r.end,
          mapping: m === null ? null : { ...m, offset: m.offset + (cutEnd - r.start) },
        });
      }
      const m = r.mapping;
      removed.push({
        start: cutStart,
        end: cutEnd,
        mapping: m === null ? null : { ...m, offset: m.offset + (cutStart - r.start) },
      });
      if (m === null) for (let p = cutStart / PAGE_SIZE; p < cutEnd / PAGE_SIZE; p++) this.pages.delete(p);
    }
    this.regions.length = 0;
    this.regions.push(...kept.sort((a, b) => a.start - b.start));
    return removed;
  }

  /** True when every byte of [start, end) is mapped anonymously. */
  isAnon(start: number, end: number): boolean {
    let at = start;
    for (const r of this.regions) {
      if (r.end <= at) continue;
      if (r.start > at || r.mapping !== null) return false;
      at = r.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  anonPage(pageNo: number): Uint8Array {
    let p = this.pages.get(pageNo);
    if (p === undefined) {
      p = new Uint8Array(PAGE_SIZE);
      this.pages.set(pageNo, p);
    }
    return p;
  }

  /**
   * Copies bytes out of anonymous memory; the caller checked isAnon. Pages
   * that lie back to back in one backing buffer (as writeAnon lays out a
   * fresh range) are copied by one `set` per run instead of one per page:
   * an out-of-line transfer of 1 MiB is one copy, not 256.
   */
  readAnon(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      let pageNo = (a - off) / PAGE_SIZE;
      const page = this.pages.get(pageNo);
      let n = Math.min(PAGE_SIZE - off, len - done);
      if (page !== undefined) {
        // Extend the run while the next page continues the same buffer.
        let end = page.byteOffset + PAGE_SIZE;
        while (done + n < len) {
          const next = this.pages.get(++pageNo);
          if (next === undefined || next.buffer !== page.buffer || next.byteOffset !== end) break;
          n += Math.min(PAGE_SIZE, len - done - n);
          end += PAGE_SIZE;
        }
        out.set(new Uint8Array(page.buffer, page.byteOffset + off, n), done);
      }
      done += n;
    }
    return out;
  }

  /**
   * The bytes of [addr, addr+len) for a range the caller deallocates right
   * after (vm_map_copyin with src_destroy, a send with `deallocate`): when
   * every page of it lies back to back in one buffer, the kernel takes them
   * as they are (a view, no copy), since once the range is gone no page of
   * the task refers to those bytes any more. Otherwise a copy (readAnon).
   * The caller checked isAnon.
   */
  takeAnon(addr: number, len: number): Uint8Array {
    const first = (addr - (addr % PAGE_SIZE)) / PAGE_SIZE;
    const end = Math.ceil((addr + len) / PAGE_SIZE);
    const head = this.pages.get(first);
    if (head === undefined || len === 0) return this.readAnon(addr, len);
    for (let p = first + 1; p < end; p++) {
      const page = this.pages.get(p);
      if (page === undefined || page.buffer !== head.buffer || page.byteOffset !== head.byteOffset + (p - first) * PAGE_SIZE) return this.readAnon(addr, len);
    }
    return new Uint8Array(head.buffer, head.byteOffset + (addr - first * PAGE_SIZE), len);
  }

  /**
   * Out-of-line data the kernel owns and gives away (copyout into a fresh
   * range at `addr`): whole pages of it become the task's pages as they are
   * (views, no copy), which is how a Mach receiver gets the sender's pages.
   * Only when `addr` starts a page, the pages are not there yet and no one
   * else holds `data`; a partial last page is copied into a zero-filled page,
   * so the receiver never sees bytes past the data.
   */
  adoptAnon(addr: number, data: Uint8Array): void {
    const first = addr / PAGE_SIZE;
    const whole = Math.floor(data.length / PAGE_SIZE);
    const end = Math.ceil(data.length / PAGE_SIZE) + first;
    let fresh = addr % PAGE_SIZE === 0 && whole > 0;
    for (let p = first; fresh && p < end; p++) if (this.pages.has(p)) fresh = false;
    if (!fresh) {
      this.writeAnon(addr, data);
      return;
    }
    for (let i = 0; i < whole; i++) this.pages.set(first + i, data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
    if (whole * PAGE_SIZE < data.length) this.anonPage(first + whole).set(data.subarray(whole * PAGE_SIZE));
  }

  /**
   * Copies `data` into anonymous memory at `addr` (zero filled where not
   * yet touched). When none of the pages it spans exists yet (a fresh
   * vm_allocate, an out-of-line copyout), they are carved out of one new
   * buffer: one allocation and one copy instead of one per page. Each page is
   * still its own PAGE_SIZE view, so later writes, reads and partial
   * deallocation work page by page exactly as before; pages never overlap.
   */
  writeAnon(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const first = (addr - (addr % PAGE_SIZE)) / PAGE_SIZE;
    const end = Math.ceil((addr + data.length) / PAGE_SIZE);
    let fresh = end - first > 1;
    for (let p = first; fresh && p < end; p++) if (this.pages.has(p)) fresh = false;
    if (fresh) {
      const backing = new Uint8Array((end - first) * PAGE_SIZE);
      backing.set(data, addr - first * PAGE_SIZE);
      for (let p = first; p < end; p++) this.pages.set(p, backing.subarray((p - first) * PAGE_SIZE, (p - first + 1) * PAGE_SIZE));
      return;
    }
    let done = 0;
    while (done < data.length) {
      const a = addr + done;
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      this.anonPage((a - off) / PAGE_SIZE).set(data.subarray(done, done + n), off);
      done += n;
    }
  }
}
