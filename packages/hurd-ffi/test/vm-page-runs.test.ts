/**
 * VmMap's page table keeps whole pages given in one piece (adoptAnon, a
 * fresh writeAnon) as one run over their buffer instead of one view per
 * page. Checked against a plain model of the address space (one byte array
 * per page) over seeded random sequences of the operations the kernel does
 * (vm_allocate + vm_write, copyout, vm_read, vm_read + vm_deallocate,
 * partial vm_deallocate, a write into one page), and that no two pages ever
 * share a byte of one buffer, nor a page and bytes the kernel handed out.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, PageTable, VmMap } from '../src/vm-map.js';
// Seeded, so every run draws the same cases.
import { mulberry32 as rng } from '../../../test-support/mulberry32.js';

function bytes(n: number, r: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** The model: page number -> its PAGE_SIZE bytes; absent = not touched (reads as zeros). */
class Model {
  readonly pages = new Map<number, Uint8Array>();
  write(addr: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const a = addr + done;
      const p = Math.floor(a / PAGE_SIZE);
      const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), data.length - done);
      let page = this.pages.get(p);
      if (!page) this.pages.set(p, (page = new Uint8Array(PAGE_SIZE)));
      page.set(data.subarray(done, done + n), a % PAGE_SIZE);
      done += n;
    }
  }
  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const a = addr + done;
      const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), len - done);
      const page = this.pages.get(Math.floor(a / PAGE_SIZE));
      if (page) out.set(page.subarray(a % PAGE_SIZE, (a % PAGE_SIZE) + n), done);
      done += n;
    }
    return out;
  }
  drop(first: number, end: number): void {
    for (let p = first; p < end; p++) this.pages.delete(p);
  }
}

/** Equal bytes (expect's deep equality walks a 256 KiB array element by element: far too slow here). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Byte ranges of one buffer held twice (two pages, or a page and a handed-out range). */
function overlaps(vm: VmMap, held: Uint8Array[]): string[] {
  const spans: { buf: ArrayBufferLike; from: number; to: number; who: string }[] = [];
  for (const [p, page] of vm.pages) spans.push({ buf: page.buffer, from: page.byteOffset, to: page.byteOffset + page.length, who: `page ${p}` });
  held.forEach((h, i) => spans.push({ buf: h.buffer, from: h.byteOffset, to: h.byteOffset + h.length, who: `held ${i}` }));
  const byBuf = new Map<ArrayBufferLike, typeof spans>();
  for (const s of spans) byBuf.set(s.buf, [...(byBuf.get(s.buf) ?? []), s]);
  const bad: string[] = [];
  for (const list of byBuf.values()) {
    list.sort((x, y) => x.from - y.from);
    for (let i = 1; i < list.length; i++) if (list[i]!.from < list[i - 1]!.to) bad.push(`${list[i - 1]!.who} and ${list[i]!.who}`);
  }
  return bad;
}

describe('PageTable', () => {
  it('a run answers for each of its pages, and splits when one page is set or deleted alone', () => {
    const t = new PageTable();
    const data = new Uint8Array(4 * PAGE_SIZE).map((_, i) => i >> 12);
    t.adopt(10, data);
    expect(t.size).toBe(4);
    expect([...t.keys()]).toEqual([10, 11, 12, 13]);
    expect(t.has(9)).toBe(false);
    expect(t.has(13)).toBe(true);
    expect(t.get(12)![0]).toBe(2);
    expect(t.get(12)!.buffer).toBe(data.buffer);
    expect(t.runView(11, 13)!.byteOffset).toBe(data.byteOffset + PAGE_SIZE);
    expect(t.runView(13, 15)).toBeUndefined();
    expect(t.anyIn(0, 10)).toBe(false);
    expect(t.anyIn(12, 20)).toBe(true);
    expect(t.anyIn(5, 11)).toBe(true);
    expect(t.delete(11)).toBe(true);
    expect([...t.keys()].sort((a, b) => a - b)).toEqual([10, 12, 13]);
    expect(t.runView(12, 13)).toBeUndefined(); // split into single pages
    expect(t.get(13)![0]).toBe(3);
  });

  it('deleteRange drops whole runs and keeps the pages of a run outside the range', () => {
    const t = new PageTable();
    t.adopt(0, new Uint8Array(8 * PAGE_SIZE).map((_, i) => i >> 12));
    t.adopt(20, new Uint8Array(2 * PAGE_SIZE));
    t.set(15, new Uint8Array(PAGE_SIZE));
    t.deleteRange(3, 21);
    expect([...t.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 21]);
    expect(t.get(2)![0]).toBe(2);
    expect(t.runView(0, 3)).toBeDefined();
    t.deleteRange(0, 100);
    expect(t.size).toBe(0);
  });
});

describe('VmMap with page runs against a model', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: same bytes as the model, no page shares bytes with another or with handed-out data`, () => {
      const r = rng(seed);
      const vm = new VmMap();
      const model = new Model();
      const held: Uint8Array[] = [];
      const span = 64;
      const base = 0x10000;
      for (let step = 0; step < 400; step++) {
        const page = Math.floor(r() * span);
        const addr = base + page * PAGE_SIZE + (r() < 0.3 ? Math.floor(r() * PAGE_SIZE) : 0);
        const len = r() < 0.5 ? Math.floor(r() * 8 * PAGE_SIZE) + 1 : Math.floor(r() * 3) * PAGE_SIZE + (r() < 0.5 ? 0 : 17);
        const first = Math.floor(addr / PAGE_SIZE);
        const end = Math.ceil((addr + Math.max(len, 1)) / PAGE_SIZE);
        const op = r();
        if (op < 0.25) {
          // copyout of given-up bytes into a page-aligned range (adoptAnon checks the pages are fresh itself)
          const at = first * PAGE_SIZE;
          const d = bytes(len, r);
          const keep = d.slice();
          vm.adoptAnon(at, d);
          model.write(at, keep);
        } else if (op < 0.45) {
          const d = bytes(len, r);
          vm.writeAnon(addr, d);
          model.write(addr, d);
        } else if (op < 0.6) {
          expect(same(vm.readAnon(addr, len), model.read(addr, len))).toBe(true);
        } else if (op < 0.75) {
          // vm_read + vm_deallocate: the bytes leave, every page they touch goes
          const got = vm.takeAnon(addr, len);
          expect(same(got, model.read(addr, len))).toBe(true);
          vm.pages.deleteRange(first, end);
          model.drop(first, end);
          held.push(got);
        } else if (op < 0.85) {
          vm.pages.deleteRange(first, end);
          model.drop(first, end);
        } else {
          // one byte written through a page (vm_write of a byte, a fault's fill)
          const v = Math.floor(r() * 256);
          vm.anonPage(first)[addr % PAGE_SIZE] = v;
          model.write(addr, new Uint8Array([v]));
        }
        if (step % 20 === 0) {
          expect(same(vm.readAnon(base, span * PAGE_SIZE), model.read(base, span * PAGE_SIZE))).toBe(true);
          expect(overlaps(vm, held)).toEqual([]);
          expect(vm.pages.size).toBe([...vm.pages.keys()].length);
        }
      }
      // A taken range is the caller's: later writes to the task never show through it.
      const snapshot = held.map((h) => h.slice());
      vm.writeAnon(base, new Uint8Array(span * PAGE_SIZE).fill(0xee));
      held.forEach((h, i) => expect(same(h, snapshot[i]!)).toBe(true));
      expect(overlaps(vm, held)).toEqual([]);
    });
  }
});
