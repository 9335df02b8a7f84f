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

/**
 * A task's anonymous pages by page number. Most pages are their own
 * PAGE_SIZE views; a range of whole pages given to the task in one piece
 * (out-of-line data adopted at copyout, a fresh range written at once) is
 * kept as one run over its buffer instead of one view and one map entry per
 * page, so handing 1 MiB along costs the same as handing 4 KiB. A run is
 * split into single pages as soon as one of its pages is set or deleted
 * alone; a run's bytes are the task's alone (whoever gave them gave them
 * up), as every page's are.
 */
interface PageRun {
  /** First page number and one past the last. */
  first: number;
  end: number;
  /** (end - first) * PAGE_SIZE bytes, page `first` at offset 0. */
  data: Uint8Array;
}

export class PageTable implements Iterable<[number, Uint8Array]> {
  private readonly one = new Map<number, Uint8Array>();
  /** Sorted by `first`, never overlapping each other nor a key of `one`. */
  private readonly runs: PageRun[] = [];

  get size(): number {
    let n = this.one.size;
    for (const r of this.runs) n += r.end - r.first;
    return n;
  }

  /** Index of the run holding page `p`, or of the first run after it as `-(i + 1)`. */
  private find(p: number): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.runs[mid]!;
      if (p < r.first) hi = mid;
      else if (p >= r.end) lo = mid + 1;
      else return mid;
    }
    return -(lo + 1);
  }

  get(p: number): Uint8Array | undefined {
    const v = this.one.get(p);
    if (v !== undefined || this.runs.length === 0) return v;
    const i = this.find(p);
    if (i < 0) return undefined;
    const r = this.runs[i]!;
    return r.data.subarray((p - r.first) * PAGE_SIZE, (p - r.first + 1) * PAGE_SIZE);
  }

  has(p: number): boolean {
    return this.one.has(p) || (this.runs.length > 0 && this.find(p) >= 0);
  }

  set(p: number, page: Uint8Array): void {
    this.split(p);
    this.one.set(p, page);
  }

  delete(p: number): boolean {
    this.split(p);
    return this.one.delete(p);
  }

  /** True when some page of [first, end) exists. */
  anyIn(first: number, end: number): boolean {
    if (this.one.size < end - first) {
      for (const p of this.one.keys()) if (p >= first && p < end) return true;
    } else {
      for (let p = first; p < end; p++) if (this.one.has(p)) return true;
    }
    if (this.runs.length === 0) return false;
    const i = this.find(first);
    if (i >= 0) return true;
    const next = this.runs[-i - 1];
    return next !== undefined && next.first < end;
  }

  /** `data` (whole pages, none of [first, first + data.length / PAGE_SIZE) existing yet) becomes those pages. */
  adopt(first: number, data: Uint8Array): void {
    const end = first + data.length / PAGE_SIZE;
    const i = this.find(first);
    this.runs.splice(i < 0 ? -i - 1 : i, 0, { first, end, data });
  }

  /** The bytes of pages [first, end) when they lie in one run (no copy), else undefined. */
  runView(first: number, end: number): Uint8Array | undefined {
    if (this.runs.length === 0) return undefined;
    const i = this.find(first);
    if (i < 0) return undefined;
    const r = this.runs[i]!;
    return end <= r.end ? r.data.subarray((first - r.first) * PAGE_SIZE, (end - r.first) * PAGE_SIZE) : undefined;
  }

  /** Delete pages [first, end): whole runs go at once, a run cut by the range keeps its other pages. */
  deleteRange(first: number, end: number): void {
    if (this.one.size > 0) {
      if (this.one.size < end - first) {
        for (const p of [...this.one.keys()]) if (p >= first && p < end) this.one.delete(p);
      } else {
        for (let p = first; p < end; p++) this.one.delete(p);
      }
    }
    if (this.runs.length === 0) return;
    let i = this.find(first);
    if (i < 0) i = -i - 1;
    const kept: PageRun[] = [];
    let j = i;
    for (; j < this.runs.length && this.runs[j]!.first < end; j++) {
      const r = this.runs[j]!;
      if (r.first < first) kept.push({ first: r.first, end: first, data: r.data.subarray(0, (first - r.first) * PAGE_SIZE) });
      if (end < r.end) kept.push({ first: end, end: r.end, data: r.data.subarray((end - r.first) * PAGE_SIZE) });
    }
    this.runs.splice(i, j - i, ...kept);
  }

  *keys(): IterableIterator<number> {
    yield* this.one.keys();
    for (const r of this.runs) for (let p = r.first; p < r.end; p++) yield p;
  }

  *[Symbol.iterator](): IterableIterator<[number, Uint8Array]> {
    yield* this.one;
    for (const r of this.runs) {
      for (let p = r.first; p < r.end; p++) yield [p, r.data.subarray((p - r.first) * PAGE_SIZE, (p - r.first + 1) * PAGE_SIZE)];
    }
  }

  /** Page `p` on its own: the run holding it becomes single pages. */
  private split(p: number): void {
    if (this.runs.length === 0) return;
    const i = this.find(p);
    if (i < 0) return;
    const r = this.runs[i]!;
    this.runs.splice(i, 1);
    for (let q = r.first; q < r.end; q++) this.one.set(q, r.data.subarray((q - r.first) * PAGE_SIZE, (q - r.first + 1) * PAGE_SIZE));
  }
}

export class VmMap {
  /** Sorted, non-overlapping. */
  readonly regions: VmRegion[] = [];
  /** Anonymous pages by page number. */
  readonly pages = new PageTable();

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
      if (m === null) this.pages.deleteRange(cutStart / PAGE_SIZE, cutEnd / PAGE_SIZE);
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
    const first = (addr - (addr % PAGE_SIZE)) / PAGE_SIZE;
    const run = len > 0 ? this.pages.runView(first, Math.ceil((addr + len) / PAGE_SIZE)) : undefined;
    if (run !== undefined) return run.slice(addr - first * PAGE_SIZE, addr - first * PAGE_SIZE + len);
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
    const run = len > 0 ? this.pages.runView(first, end) : undefined;
    if (run !== undefined) return run.subarray(addr - first * PAGE_SIZE, addr - first * PAGE_SIZE + len);
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
   * (one run of pages over it, no copy), which is how a Mach receiver gets
   * the sender's pages.
   * Only when `addr` starts a page, the pages are not there yet and no one
   * else holds `data`; a partial last page is copied into a zero-filled page,
   * so the receiver never sees bytes past the data.
   */
  adoptAnon(addr: number, data: Uint8Array): void {
    const first = addr / PAGE_SIZE;
    const whole = Math.floor(data.length / PAGE_SIZE);
    const end = Math.ceil(data.length / PAGE_SIZE) + first;
    if (addr % PAGE_SIZE !== 0 || whole === 0 || this.pages.anyIn(first, end)) {
      this.writeAnon(addr, data);
      return;
    }
    this.pages.adopt(first, data.subarray(0, whole * PAGE_SIZE));
    if (whole * PAGE_SIZE < data.length) this.anonPage(first + whole).set(data.subarray(whole * PAGE_SIZE));
  }

  /**
   * Copies `data` into anonymous memory at `addr` (zero filled where not
   * yet touched). When none of the pages it spans exists yet (a fresh
   * vm_allocate, an out-of-line copyout), they are one new buffer, kept as
   * one run of pages (PageTable): one allocation and one copy instead of
   * one per page. Later writes, reads and partial deallocation still work
   * page by page (a run splits where needed); pages never overlap.
   */
  writeAnon(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const first = (addr - (addr % PAGE_SIZE)) / PAGE_SIZE;
    const end = Math.ceil((addr + data.length) / PAGE_SIZE);
    if (end - first > 1 && !this.pages.anyIn(first, end)) {
      const backing = new Uint8Array((end - first) * PAGE_SIZE);
      backing.set(data, addr - first * PAGE_SIZE);
      this.pages.adopt(first, backing);
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
