import { closeSync, fstatSync, openSync, constants as FS } from 'node:fs';
import { realClock, type Clock, type MachKernel, type TaskId, type TimerHandle } from 'hurd-ffi';
import {
  MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_SEND,
} from 'mach-msg';
import type { PagerConfig } from 'pager-core';
import { HurdErrno, hurdErrnoOf } from '../errno.js';
import type { IoMapAnswer } from '../fs/core.js';
import { HostTree } from '../fs/host.js';
import { O_READ, O_WRITE } from '../hurd-types.js';
import type { Logger } from '../log.js';
import { FilePager, type FilePagerStats, type PagerTrace } from './file-pager.js';

/**
 * io_map for an export task: one FilePager per file per node, shared by
 * every mapping, whichever link or kernel it comes from (coherence needs a
 * single manager per memory object, Mach 3 Kernel Principles ch. 6).
 *
 * Each pager of a writable file has two object ports: the memory object
 * (given to opens with O_WRITE, as memobjwt and memobjrd) and a read-only
 * object (memobjrd of opens without O_WRITE), which the pager never lets
 * write, so a reader cannot write the file through a mapping. A read-only
 * export (or a file the node can only read) has one, read-only, object.
 *
 * The export answers requests synchronously (`FsExport.handle`), but making
 * a pager task and its rights takes kernel calls. So the service keeps
 * rights ready in the export task and hands them out with MOVE_SEND:
 *  - for a file without a pager, spare receive rights (allocated ahead,
 *    with SPARE_SENDS send user-references on the same name): the reply
 *    moves send rights out of them, and then the receive rights themselves
 *    move into the new pager task (messages already queued, memory_object_init
 *    included, move with them; the names keep any send references left);
 *  - for a file with a pager, its "stock": send user-references to each of
 *    the pager's objects in the export task, topped up in the background.
 * When the last kernel terminates the object the stock is dropped, so the
 * pager sees no senders once every client right is gone, and ends. A file
 * that was io_mapped but that no kernel maps has its stock dropped too once
 * no io_map of it came for `stockIdleMs`: the stock is the service's own
 * send right, and while it exists the object never has no senders. Then the
 * pager ends as soon as the clients' rights are gone (at once if they are),
 * and a later io_map of the file makes a new stock (EAGAIN meanwhile).
 * If nothing is ready (a burst of io_map faster than the top-up), io_map
 * answers EAGAIN and the caller retries.
 */

/** Send user-references put on a spare receive right (read + write objects of one io_map). */
const SPARE_SENDS = 2;
/** Spare receive rights kept ready, and send references kept per pager. */
const SPARES = 4;
const STOCK = 2;
/** Default of MapServiceOptions.stockIdleMs. */
const DEFAULT_STOCK_IDLE_MS = 2_000;

export interface MapServiceOptions {
  kernel: MachKernel;
  /** The export root (host directory). */
  root: string;
  readOnly: boolean;
  log?: Logger;
  /** Engine policies for every pager. */
  pagerConfig?: Partial<Omit<PagerConfig, 'pageSize'>>;
  /** Every memory_object message of every pager, with the file's path under the export. */
  onTrace?: (file: string, t: PagerTrace) => void;
  /**
   * A pager evicts a kernel that leaves a revoking lock request unanswered
   * this long (FilePager's lockTimeoutMs: default 60 000; 0 waits for ever).
   */
  lockTimeoutMs?: number;
  /**
   * Drop the stock of rights of a file no kernel maps once no io_map of it
   * came for this long (ms), so that its pager can see no senders and end.
   * Default 2000.
   */
  stockIdleMs?: number;
  /** The clock of the stock's idle timer and of the pagers' lock timeout (default the host's; tests pass a VirtualClock). */
  clock?: Clock;
}

/** Send user-references to one object port, kept in the export task under one name (0: none yet). */
interface Stock {
  name: number;
  refs: number;
}

interface Entry {
  key: string;
  file: string;
  pager: FilePager | undefined;
  /** The pager refuses every write (read-only export, or a file the node can only read): one object. */
  readOnly: boolean;
  /** Rights to the memory object (write opens; the only object of a read-only pager) and to the read-only object. */
  stock: { rw: Stock; ro: Stock };
  finished: boolean;
  /** Fires stockIdleMs after the last io_map of the file (see `armIdle`). */
  idle: TimerHandle | undefined;
}

export interface MappedFile {
  file: string;
  kernels: number;
  stats: FilePagerStats;
}

export class MapService {
  private readonly tree: HostTree;
  private exportTask: TaskId | undefined;
  private readonly spares: number[] = [];
  private readonly entries = new Map<string, Entry>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly errors: string[] = [];
  /** io_map answers EAGAIN given because no right was ready (a burst faster than the top-up). */
  busyAnswers = 0;

  constructor(private readonly o: MapServiceOptions) {
    this.tree = new HostTree(o.root);
  }

  /** Bind to the export task whose name space the hook's names live in. */
  async attach(exportTask: TaskId): Promise<void> {
    this.exportTask = exportTask;
    await this.refill();
  }

  /** Background work (moves, top-ups, spares) finished. */
  settle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private readonly observers = new Set<(file: string, t: PagerTrace) => void>();

  /** Watch every memory_object message of every pager (file path under the export); returns the remover. */
  observe(f: (file: string, t: PagerTrace) => void): () => void {
    this.observers.add(f);
    return () => this.observers.delete(f);
  }

  /** Files with a live pager now. */
  mapped(): MappedFile[] {
    return [...this.entries.values()].filter((e) => e.pager && !e.finished).map((e) => ({
      file: e.file, kernels: e.pager!.kernelCount(), stats: { ...e.pager!.stats },
    }));
  }

  /** The pager of a file (for sync, tests). */
  pagerOf(file: string): FilePager | undefined {
    return [...this.entries.values()].find((e) => e.file === file && !e.finished)?.pager;
  }

  /** FsExportOptions.ioMap: the memory objects of the file at `rel`, as names in the export task. */
  readonly ioMap = (rel: readonly string[], openModes: number): IoMapAnswer => {
    if (this.exportTask === undefined || this.closed) return HurdErrno.EOPNOTSUPP;
    const wantRead = (openModes & O_READ) !== 0;
    const wantWrite = (openModes & O_WRITE) !== 0 && !this.o.readOnly;
    let fd: number;
    let writable: boolean;
    try {
      ({ fd, writable } = this.openFile(rel, wantWrite));
    } catch (e) {
      return hurdErrnoOf(e);
    }
    let key: string;
    try {
      const st = fstatSync(fd, { bigint: true });
      key = `${st.dev}:${st.ino}`;
    } catch (e) {
      closeSync(fd);
      return hurdErrnoOf(e);
    }
    const file = rel.join('/');
    const live = this.entries.get(key);
    if (live && !live.finished) {
      closeSync(fd); // the pager has its own descriptor
      const want = this.objectsFor(live.readOnly, wantRead, wantWrite);
      if (live.stock.rw.refs < want.rw || live.stock.ro.refs < want.ro) {
        this.topUp(live);
        // The stock made for this retry goes again if the retry never comes.
        this.armIdle(live);
        this.busyAnswers++;
        return HurdErrno.EAGAIN;
      }
      live.stock.rw.refs -= want.rw;
      live.stock.ro.refs -= want.ro;
      const answer = this.answer(want, live.stock.rw.name, live.stock.ro.name);
      this.topUp(live);
      this.armIdle(live);
      return answer;
    }
    const readOnly = !writable;
    const want = this.objectsFor(readOnly, wantRead, wantWrite);
    if (this.spares.length < (readOnly ? 1 : 2)) {
      closeSync(fd);
      this.later(() => this.refill());
      this.busyAnswers++;
      return HurdErrno.EAGAIN;
    }
    const rw = this.spares.pop()!;
    const ro = readOnly ? 0 : this.spares.pop()!;
    const entry: Entry = {
      key, file, pager: undefined, readOnly, finished: false, idle: undefined,
      stock: { rw: { name: rw, refs: SPARE_SENDS - want.rw }, ro: { name: ro, refs: ro === 0 ? 0 : SPARE_SENDS - want.ro } },
    };
    this.entries.set(key, entry);
    this.later(async () => {
      await this.startPager(entry, rw, ro, fd);
      await this.refill();
    });
    this.topUp(entry);
    this.armIdle(entry);
    return this.answer(want, rw, ro);
  };

  /**
   * Which send rights an open gets: a writer gets the memory object (for
   * reading too, as libdiskfs gives one object for both); a reader of a
   * writable file the read-only object; a reader of a read-only pager its one object.
   */
  private objectsFor(readOnly: boolean, read: boolean, write: boolean): { rw: number; ro: number; read: 'rw' | 'ro' | 'none'; write: boolean } {
    if (readOnly) return { rw: read ? 1 : 0, ro: 0, read: read ? 'rw' : 'none', write: false };
    if (write) return { rw: read ? 2 : 1, ro: 0, read: read ? 'rw' : 'none', write: true };
    return { rw: 0, ro: read ? 1 : 0, read: read ? 'ro' : 'none', write: false };
  }

  private answer(want: ReturnType<MapService['objectsFor']>, rw: number, ro: number): IoMapAnswer {
    return {
      read: want.read === 'rw' ? rw : want.read === 'ro' ? ro : 0,
      write: want.write ? rw : 0,
      disposition: MACH_MSG_TYPE_MOVE_SEND,
    };
  }

  /** Stop every pager (node shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) e.idle?.cancel();
    await this.settle();
    for (const e of this.entries.values()) await e.pager?.close();
    this.entries.clear();
  }

  // ------------------------------------------------------------ internals

  /** The file, opened without following a symlink at any component (the export's confinement rule). */
  private openFile(rel: readonly string[], write: boolean): { fd: number; writable: boolean } {
    if (rel.length === 0) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const d = this.tree.openDir(rel.slice(0, -1));
    try {
      const path = this.tree.at(d, rel[rel.length - 1]!);
      const flags = FS.O_NOFOLLOW | FS.O_NOCTTY;
      if (this.o.readOnly) return { fd: openSync(path, flags | FS.O_RDONLY), writable: false };
      try {
        // One pager serves readers and writers alike: open it for writing when the export allows.
        return { fd: openSync(path, flags | FS.O_RDWR), writable: true };
      } catch (e) {
        if (write) throw e;
        return { fd: openSync(path, flags | FS.O_RDONLY), writable: false };
      }
    } finally {
      this.tree.close(d);
    }
  }

  private later(f: () => Promise<void>): void {
    this.chain = this.chain.then(f).catch((e: unknown) => {
      this.errors.push(String(e));
      this.o.log?.error('map service', { error: String(e) });
    });
  }

  private async startPager(entry: Entry, rw: number, ro: number, fd: number): Promise<void> {
    const k = this.o.kernel;
    try {
      const pager = await FilePager.create({
        kernel: k, fd, readOnly: entry.readOnly, label: `pager:${entry.file}`,
        adopt: { task: this.exportTask!, name: rw },
        ...(ro !== 0 ? { adoptReadOnly: { task: this.exportTask!, name: ro } } : {}),
        ...(this.o.log ? { log: this.o.log } : {}),
        ...(this.o.pagerConfig ? { config: this.o.pagerConfig } : {}),
        ...(this.o.lockTimeoutMs !== undefined ? { lockTimeoutMs: this.o.lockTimeoutMs } : {}),
        ...(this.o.clock ? { clock: this.o.clock } : {}),
        onTrace: (t: PagerTrace) => {
          this.o.onTrace?.(entry.file, t);
          for (const f of this.observers) f(entry.file, t);
        },
        onKernelsGone: () => this.dropStock(entry),
        onFinished: () => {
          entry.finished = true;
          entry.idle?.cancel();
          if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
          this.o.log?.info('file pager ended', { file: entry.file, ...(entry.pager?.stats ?? {}) });
        },
      });
      entry.pager = pager;
      this.o.log?.debug('file pager started', { file: entry.file, readOnly: entry.readOnly });
    } catch (e) {
      entry.finished = true;
      this.entries.delete(entry.key);
      closeSync(fd);
      // The rights already handed out must not lead to a port nobody serves:
      // destroying the receive rights makes them dead names (vm_map fails).
      for (const n of [rw, ro]) if (n !== 0) await k.portDestroy(this.exportTask!, n);
      throw e;
    }
  }

  /** Bring a pager's stock back to STOCK send references (after its pager exists). */
  private topUp(entry: Entry): void {
    this.later(async () => {
      const pager = entry.pager;
      if (!pager || entry.finished || this.closed) return;
      for (const kind of entry.readOnly ? (['rw'] as const) : (['rw', 'ro'] as const)) {
        const st = entry.stock[kind];
        while (st.refs < STOCK && !pager.isFinished) {
          st.name = await pager.sendRight(this.exportTask!, kind === 'ro');
          st.refs++;
        }
      }
    });
  }

  /**
   * (Re)starts the file's idle timer: when it fires and no kernel has the
   * object, the stock goes (dropStock), so that only the clients' rights
   * keep the pager. A kernel that has the object drops it when it
   * terminates the object (onKernelsGone) instead.
   */
  private armIdle(entry: Entry): void {
    entry.idle?.cancel();
    entry.idle = (this.o.clock ?? realClock).setTimer(this.o.stockIdleMs ?? DEFAULT_STOCK_IDLE_MS, () => {
      entry.idle = undefined;
      if (entry.finished || this.closed) return;
      // Not started yet: its stock goes once it has started (its io_map is not idle yet).
      if (entry.pager === undefined) {
        this.later(async () => {
          if (!entry.finished && !this.closed) this.armIdle(entry);
        });
        return;
      }
      if (entry.pager.kernelCount() > 0) return;
      this.o.log?.debug('file pager: no io_map for a while and no kernel, stock dropped', { file: entry.file });
      this.dropStock(entry);
    });
  }

  /** No kernel maps the object any more: give up the stock, so the pager can see no senders. */
  private dropStock(entry: Entry): void {
    for (const st of [entry.stock.rw, entry.stock.ro]) {
      const n = st.refs;
      const name = st.name;
      st.refs = 0;
      if (n === 0 || name === 0) continue;
      this.later(async () => {
        const kr = await this.o.kernel.portModRefs(this.exportTask!, name, MACH_PORT_RIGHT_SEND, -n);
        if (kr !== 0) this.errors.push(`drop stock of ${entry.file}: kr ${kr}`);
      });
    }
  }

  /** Spare receive rights in the export task, each with SPARE_SENDS send references on its name. */
  private async refill(): Promise<void> {
    const k = this.o.kernel;
    const t = this.exportTask!;
    while (this.spares.length < SPARES && !this.closed) {
      const r = await k.portAllocate(t, MACH_PORT_RIGHT_RECEIVE);
      if (r.kr !== 0) throw new Error(`port_allocate: kr ${r.kr}`);
      for (let i = 0; i < SPARE_SENDS; i++) {
        const kr = await k.portInsertRight(t, r.name, r.name, MACH_MSG_TYPE_MAKE_SEND);
        if (kr !== 0) throw new Error(`insert send right: kr ${kr}`);
      }
      this.spares.push(r.name);
    }
  }
}
