import { isKernelAction, type KernelAction, type PagerAction } from '../actions.js';
import type { PagerConfig } from '../config.js';
import { PagerEngine } from '../engine/engine.js';
import type { PagerEvent } from '../events.js';
import { VM_PROT_NONE, KERN_MEMORY_ERROR, type KernelId, type PageIndex } from '../types.js';
import { isResident, kernelMove, kernelMoves, kernelReceive, newKernel, type KernelEffects, type KernelMessage, type ModelKernel } from './kernel.js';

/** File-server calls the checker may make, each at most once per run. */
export type ServerOp = 'sync' | 'syncWait' | 'return' | 'returnWait' | 'flush' | 'flushWait';

/** A bounded configuration of the world to explore. */
export interface WorldConfig {
  kernels: number;
  pages: number;
  /** data_request / data_unlock faults per kernel. */
  faults: number;
  /** Page modifications by writers, in total. */
  modifications: number;
  /** Spontaneous page-outs / silent discards, in total. */
  evictions: number;
  serverOps: readonly ServerOp[];
  /** Backing-store failures (read, write or unlock), in total. */
  storeErrors: number;
  /** Kernel deaths, in total. */
  deaths: number;
  /**
   * Deliver lock_completed on the object port (in order with data_return).
   * false: on a separate reply port, so completions may overtake returns.
   */
  orderedReplies: boolean;
  engine: Partial<PagerConfig>;
  /** Spontaneous clock ticks (for the hold-time policy); the fair run ticks as needed. */
  ticks?: number;
  /** Kernels that may stop answering (with engine.lockTimeout, to be evicted). */
  hangs?: number;
}

interface Channels {
  toKernel: KernelAction<number>[];
  toPager: KernelMessage[];
  replies: KernelMessage[];
}

interface Store {
  versions: number[];
  reads: PageIndex[];
  write: { page: PageIndex; v: number; seq: number } | undefined;
  unlocks: PageIndex[];
}

/** The model's own account of what each page should hold (per-page linearizability). */
interface Truth {
  /** Newest version any writer produced. */
  latest: number[];
  /** Lowest version a supply may carry: == latest unless data was discarded or lost. */
  floor: number[];
  /** The newest version failed to reach the store. */
  errLost: boolean[];
}

export interface WorldData {
  kernels: ModelKernel[];
  chans: Channels[];
  store: Store;
  truth: Truth;
  budget: { faults: number[]; modifications: number; evictions: number; storeErrors: number; deaths: number; ops: ServerOp[] };
  /** Waited calls not completed yet. */
  tokens: number[];
  nextToken: number;
  violations: string[];
  now: number;
  ticks: number;
  hangs: number;
}

/** The fair run lets the clock run this far for lock timeouts to fire. */
const TIME_HORIZON = 20;

/** A step: a label for traces and a mutation of a (cloned) world. */
export interface Step {
  label: string;
  run: (w: World) => void;
}

/**
 * The closed system the checker explores: the engine, model kernels with
 * FIFO channels, a backing store whose operations finish in any order, and
 * a file server making bounded calls. Every engine action is checked as it
 * is emitted; `invariants()` checks a whole state.
 */
export class World {
  /** Messages sent between the pager and kernels (for the figures; not part of the state). */
  messages = 0;

  constructor(
    readonly cfg: WorldConfig,
    public engine: PagerEngine<number>,
    public d: WorldData,
  ) {}

  static initial(cfg: WorldConfig): World {
    const engine = new PagerEngine<number>(cfg.engine);
    const d: WorldData = {
      kernels: Array.from({ length: cfg.kernels }, (_, i) => newKernel(i + 1, cfg.pages)),
      chans: Array.from({ length: cfg.kernels }, () => ({ toKernel: [], toPager: [], replies: [] })),
      store: { versions: new Array(cfg.pages).fill(0), reads: [], write: undefined, unlocks: [] },
      truth: {
        latest: new Array(cfg.pages).fill(0),
        floor: new Array(cfg.pages).fill(0),
        errLost: new Array(cfg.pages).fill(false),
      },
      budget: {
        faults: new Array(cfg.kernels).fill(cfg.faults),
        modifications: cfg.modifications,
        evictions: cfg.evictions,
        storeErrors: cfg.storeErrors,
        deaths: cfg.deaths,
        ops: [...cfg.serverOps],
      },
      tokens: [],
      nextToken: 1,
      violations: [],
      now: 0,
      ticks: cfg.ticks ?? 0,
      hangs: cfg.hangs ?? 0,
    };
    const w = new World(cfg, engine, d);
    // Every kernel maps the object and gets its memory_object_ready.
    for (const k of d.kernels) {
      w.toEngine({ kind: 'init', kernel: k.id, pageSize: engine.config.pageSize });
      const ch = d.chans[k.id - 1]!;
      while (ch.toKernel.length > 0) w.deliverToKernel(k.id);
    }
    return w;
  }

  clone(): World {
    const d = this.d;
    // Messages are never mutated once sent, so channels copy shallowly.
    return new World(this.cfg, this.engine.clone(), {
      kernels: d.kernels.map((k) => ({ id: k.id, alive: k.alive, hung: k.hung, pages: k.pages.map((p) => ({ ...p })) })),
      chans: d.chans.map((c) => ({ toKernel: [...c.toKernel], toPager: [...c.toPager], replies: [...c.replies] })),
      store: {
        versions: [...d.store.versions],
        reads: [...d.store.reads],
        write: d.store.write && { ...d.store.write },
        unlocks: [...d.store.unlocks],
      },
      truth: { latest: [...d.truth.latest], floor: [...d.truth.floor], errLost: [...d.truth.errLost] },
      budget: {
        faults: [...d.budget.faults],
        modifications: d.budget.modifications,
        evictions: d.budget.evictions,
        storeErrors: d.budget.storeErrors,
        deaths: d.budget.deaths,
        ops: [...d.budget.ops],
      },
      tokens: [...d.tokens],
      nextToken: d.nextToken,
      violations: [...d.violations],
      now: d.now,
      ticks: d.ticks,
      hangs: d.hangs,
    });
  }

  key(): string {
    return this.engine.stateKey() + JSON.stringify(this.d);
  }

  private violation(msg: string): void {
    this.d.violations.push(msg);
  }

  // ------------------------------------------------------------ plumbing

  /** Hand one event to the engine and route (and check) every action. */
  toEngine(ev: PagerEvent<number>): void {
    let actions: PagerAction<number>[];
    try {
      actions = this.engine.handle(ev);
    } catch (e) {
      this.violation(`engine threw on ${ev.kind}: ${(e as Error).message}`);
      return;
    }
    for (const a of actions) this.route(a);
  }

  private route(a: PagerAction<number>): void {
    const d = this.d;
    if (isKernelAction(a)) {
      const k = d.kernels[a.kernel - 1];
      if (!k || !k.alive) return this.violation(`${a.kind} sent to dead or unknown kernel ${a.kernel}`);
      if (a.kind === 'dataSupply') {
        const t = d.truth;
        if (a.data < t.floor[a.page]! || a.data > t.latest[a.page]!) {
          this.violation(
            `stale supply: page ${a.page} version ${a.data} to kernel ${a.kernel}, expected ${t.floor[a.page]}..${t.latest[a.page]}`,
          );
        }
        t.floor[a.page] = Math.max(t.floor[a.page]!, a.data);
      }
      d.chans[a.kernel - 1]!.toKernel.push(a);
      this.messages++;
      return;
    }
    switch (a.kind) {
      case 'readPage':
        if (d.store.reads.includes(a.page)) this.violation(`two reads of page ${a.page} at once`);
        d.store.reads.push(a.page);
        break;
      case 'writePage':
        if (d.store.write) this.violation(`write of page ${a.page} while another write runs`);
        if (a.data < d.store.versions[a.page]!) {
          this.violation(`stale write: page ${a.page} version ${a.data} over ${d.store.versions[a.page]}`);
        }
        d.store.write = { page: a.page, v: a.data, seq: a.seq };
        break;
      case 'unlockPage':
        d.store.unlocks.push(a.page);
        break;
      case 'completed': {
        const i = d.tokens.indexOf(a.token);
        if (i < 0) this.violation(`completion of unknown call ${a.token}`);
        else d.tokens.splice(i, 1);
        break;
      }
      case 'evicted':
        for (const k of d.kernels) {
          if (k.alive && isResident(k.pages[a.page])) this.violation(`evicted page ${a.page} still held by ${k.id}`);
        }
        break;
      case 'evictKernel': {
        const k = d.kernels[a.kernel - 1];
        if (!k?.hung) return this.violation(`kernel ${a.kernel} evicted although it answers`);
        // The driver drops its control port: the kernel is gone for the pager.
        this.bury(k.id);
        break;
      }
    }
  }

  private absorb(k: ModelKernel, fx: KernelEffects): void {
    const ch = this.d.chans[k.id - 1]!;
    this.messages += fx.toPager.length + fx.replies.length;
    ch.toPager.push(...fx.toPager);
    if (this.cfg.orderedReplies) ch.toPager.push(...fx.replies);
    else ch.replies.push(...fx.replies);
    for (const p of fx.discardedDirty) this.lose(p);
    for (const e of fx.protocolErrors) this.violation(e);
  }

  /** Data newer than the store was thrown away (discard, death): relax the floor. */
  private lose(p: PageIndex): void {
    const t = this.d.truth;
    t.floor[p] = Math.min(t.floor[p]!, this.d.store.versions[p]!);
  }

  deliverToKernel(id: KernelId): void {
    const k = this.d.kernels[id - 1]!;
    const ch = this.d.chans[id - 1]!;
    const msg = ch.toKernel.shift();
    if (!msg) return;
    if (msg.kind === 'lockRequest' && msg.flush && msg.shouldReturn === 'none') {
      // Returns this kernel sent before the discard may reach the pager after
      // the discard's completion, and are then (rightly) dropped.
      for (const m of ch.toPager) {
        if (m.kind === 'dataReturn' && m.page >= msg.page && m.page < msg.page + msg.count) this.lose(m.page);
      }
    }
    this.absorb(k, kernelReceive(k, msg));
  }

  deliverToPager(id: KernelId, replies: boolean): void {
    const ch = this.d.chans[id - 1]!;
    const msg = (replies ? ch.replies : ch.toPager).shift();
    if (msg) this.toEngine(msg);
  }

  // -------------------------------------------------------------- steps

  /**
   * Every enabled step. With `quiet`, only the steps a fair system takes on
   * its own (deliveries and successful store completions): the liveness run.
   */
  steps(quiet = false): Step[] {
    const out: Step[] = [];
    const d = this.d;
    for (const k of d.kernels) {
      if (!k.alive) continue;
      const id = k.id;
      const ch = d.chans[id - 1]!;
      if (ch.toKernel.length && !k.hung) out.push({ label: `k${id} receives ${describe(ch.toKernel[0]!)}`, run: (w) => w.deliverToKernel(id) });
      if (ch.toPager.length) out.push({ label: `pager gets ${describe(ch.toPager[0]!)}`, run: (w) => w.deliverToPager(id, false) });
      if (ch.replies.length) out.push({ label: `pager gets reply ${describe(ch.replies[0]!)}`, run: (w) => w.deliverToPager(id, true) });
    }
    const st = d.store;
    for (const p of new Set(st.reads)) {
      out.push({ label: `store reads page ${p}`, run: (w) => w.finishRead(p, false) });
    }
    if (st.write) out.push({ label: `store writes page ${st.write.page} v${st.write.v}`, run: (w) => w.finishWrite(false) });
    for (const p of new Set(st.unlocks)) out.push({ label: `store unlocks page ${p}`, run: (w) => w.finishUnlock(p, false) });
    if (quiet) {
      // Time passes when nothing else can happen and a revocation or a
      // lock timeout waits for it.
      const waitsForTime =
        this.engine.pageNumbers().some((p) => this.engine.inspectPage(p).deferred) ||
        (this.engine.config.lockTimeout > 0 && d.kernels.some((k) => k.alive && k.hung) && d.now < TIME_HORIZON);
      if (out.length === 0 && waitsForTime) {
        out.push({ label: 'clock ticks', run: (w) => w.tick(false) });
      }
      return out;
    }
    if (d.ticks > 0) out.push({ label: 'clock ticks', run: (w) => w.tick(true) });

    if (d.budget.storeErrors > 0) {
      for (const p of new Set(st.reads)) out.push({ label: `store read of page ${p} FAILS`, run: (w) => w.finishRead(p, true) });
      if (st.write) out.push({ label: `store write of page ${st.write.page} FAILS`, run: (w) => w.finishWrite(true) });
      for (const p of new Set(st.unlocks)) out.push({ label: `store unlock of page ${p} FAILS`, run: (w) => w.finishUnlock(p, true) });
    }
    for (const k of d.kernels) {
      if (!k.alive || k.hung) continue;
      const id = k.id;
      if (d.hangs > 0) {
        out.push({
          label: `k${id} HANGS`,
          run: (w) => {
            w.d.hangs--;
            w.d.kernels[id - 1]!.hung = true;
          },
        });
      }
      k.pages.forEach((pg, p) => {
        for (const m of kernelMoves(pg)) {
          if ((m === 'readFault' || m === 'writeFault') && d.budget.faults[id - 1]! <= 0) continue;
          if (m === 'modify' && d.budget.modifications <= 0) continue;
          if (m === 'evict' && d.budget.evictions <= 0) continue;
          out.push({ label: `k${id} ${m} page ${p}`, run: (w) => w.move(id, p, m) });
        }
      });
      if (d.budget.deaths > 0) out.push({ label: `k${id} DIES`, run: (w) => w.die(id) });
    }
    for (const op of new Set(d.budget.ops)) {
      for (let p = 0; p < this.cfg.pages; p++) {
        out.push({ label: `server ${op} page ${p}`, run: (w) => w.serverOp(op, p, 1) });
      }
      if (this.cfg.pages > 1) out.push({ label: `server ${op} all pages`, run: (w) => w.serverOp(op, 0, this.cfg.pages) });
    }
    return out;
  }

  move(id: KernelId, p: PageIndex, m: ReturnType<typeof kernelMoves>[number]): void {
    const d = this.d;
    const k = d.kernels[id - 1]!;
    if (m === 'readFault' || m === 'writeFault') d.budget.faults[id - 1]!--;
    if (m === 'modify') d.budget.modifications--;
    if (m === 'evict') d.budget.evictions--;
    const fx = kernelMove(k, p, m, () => {
      const t = d.truth;
      // Versions are per page and only grow: a modification is the newest.
      const nv = t.latest[p]! + 1;
      t.latest[p] = nv;
      t.floor[p] = nv;
      t.errLost[p] = false;
      return nv;
    });
    this.absorb(k, fx);
  }

  tick(spontaneous: boolean): void {
    if (spontaneous) this.d.ticks--;
    this.d.now++;
    this.toEngine({ kind: 'tick', now: this.d.now });
  }

  die(id: KernelId): void {
    this.d.budget.deaths--;
    this.bury(id);
    this.toEngine({ kind: 'kernelDied', kernel: id });
  }

  /** A kernel is gone: its dirty pages and its returns in flight are lost. */
  private bury(id: KernelId): void {
    const d = this.d;
    const k = d.kernels[id - 1]!;
    k.alive = false;
    // Its dirty pages and the returns still in flight are lost with it.
    const ch = d.chans[id - 1]!;
    k.pages.forEach((pg, p) => {
      if (isResident(pg) && pg.dirty) this.lose(p);
    });
    for (const m of ch.toPager) if (m.kind === 'dataReturn' && m.dirty) this.lose(m.page);
    d.chans[id - 1] = { toKernel: [], toPager: [], replies: [] };
  }

  serverOp(op: ServerOp, page: PageIndex, count: number): void {
    const d = this.d;
    d.budget.ops.splice(d.budget.ops.indexOf(op), 1);
    const wait = op.endsWith('Wait') ? d.nextToken++ : undefined;
    if (wait !== undefined) d.tokens.push(wait);
    const kind = op.replace('Wait', '') as 'sync' | 'return' | 'flush';
    // pager_flush discards modifications that were never returned.
    if (kind === 'flush') for (let p = page; p < page + count; p++) this.lose(p);
    this.toEngine({ kind, page, count, ...(wait !== undefined ? { wait } : {}) });
  }

  finishRead(p: PageIndex, fail: boolean): void {
    const st = this.d.store;
    st.reads.splice(st.reads.indexOf(p), 1);
    if (fail) {
      this.d.budget.storeErrors--;
      return this.toEngine({ kind: 'readFailed', page: p, error: KERN_MEMORY_ERROR });
    }
    this.toEngine({ kind: 'readDone', page: p, data: st.versions[p]!, writeLock: false });
  }

  finishWrite(fail: boolean): void {
    const st = this.d.store;
    const w = st.write!;
    st.write = undefined;
    if (fail) {
      this.d.budget.storeErrors--;
      if (w.v === this.d.truth.latest[w.page]) this.d.truth.errLost[w.page] = true;
      return this.toEngine({ kind: 'writeFailed', seq: w.seq, error: KERN_MEMORY_ERROR });
    }
    if (w.v < st.versions[w.page]!) this.violation(`write of page ${w.page} out of version order`);
    st.versions[w.page] = w.v;
    this.toEngine({ kind: 'writeDone', seq: w.seq });
  }

  finishUnlock(p: PageIndex, fail: boolean): void {
    const st = this.d.store;
    st.unlocks.splice(st.unlocks.indexOf(p), 1);
    if (fail) {
      this.d.budget.storeErrors--;
      return this.toEngine({ kind: 'unlockFailed', page: p, error: KERN_MEMORY_ERROR });
    }
    this.toEngine({ kind: 'unlockDone', page: p });
  }

  /** Take quiet steps (deliveries, successful store completions) until none is left. */
  drain(bound = 100000): void {
    for (let i = 0; i < bound; i++) {
      const s = this.steps(true)[0];
      if (!s) return;
      s.run(this);
    }
  }

  // ----------------------------------------------------------- invariants

  /** The names of the invariants `invariants()` checks in every state. */
  static readonly INVARIANTS = [
    'write access exclusive',
    'access list is a superset of real holders',
    'a waiter implies page-in, unlock, page-out or revocation under way',
    'no action to a dead or unknown kernel',
    'writes in version order, never two at once',
    'no write lost',
    'every read sees the latest write (per-page linearizability)',
    'every data_request answered exactly once',
    'dead kernels hold nothing in the engine',
  ] as const;

  invariants(): string[] {
    const errs = [...this.d.violations];
    const d = this.d;
    const live = new Set(this.engine.kernels());
    for (let p = 0; p < this.cfg.pages; p++) {
      const view = this.engine.inspectPage(p);
      const writers: KernelId[] = [];
      const present: KernelId[] = [];
      for (const k of d.kernels) {
        if (!k.alive) {
          if (view.holders.has(k.id) || view.waiters.some((w) => w.kernel === k.id)) {
            errs.push(`dead kernel ${k.id} still on page ${p}'s lists`);
          }
          continue;
        }
        const pg = k.pages[p];
        const incoming = d.chans[k.id - 1]!.toKernel.filter((m) => 'page' in m && m.page === p);
        const supplied = incoming.find((m) => m.kind === 'dataSupply');
        const grant = incoming.some(
          (m) => m.kind === 'lockRequest' && !m.flush && m.lockValue === VM_PROT_NONE,
        );
        const has = isResident(pg) || supplied !== undefined;
        const writes =
          (isResident(pg) && pg.write) ||
          (supplied?.kind === 'dataSupply' && supplied.lockValue === VM_PROT_NONE) ||
          (isResident(pg) && grant);
        if (has) present.push(k.id);
        if (writes) writers.push(k.id);
        const h = view.holders.get(k.id);
        if (has && !h) errs.push(`kernel ${k.id} holds page ${p} but is not on its access list`);
        if (writes && h && !h.write) errs.push(`kernel ${k.id} can write page ${p} but the engine thinks it reads`);
      }
      if (writers.length > 1 || (writers.length === 1 && present.length > 1)) {
        errs.push(`page ${p}: writers [${writers}] with holders [${present}]`);
      }
      for (const k of view.holders.keys()) if (!live.has(k)) errs.push(`unknown kernel ${k} on page ${p}`);
      const head = view.waiters[0];
      if (head) {
        const hs = [...view.holders.entries()];
        const conflicts = head.unlock
          ? hs.filter(([k]) => k !== head.kernel)
          : head.write
            ? hs
            : hs.filter(([, h]) => h.write);
        const revoking = conflicts.length > 0 && conflicts.every(([k]) => view.flushSent.has(k));
        const busy = view.op !== 'idle' || (view.pending?.kernelCopy ?? false) || view.deferred;
        if (!revoking && !busy) errs.push(`page ${p} has waiters but nothing is under way`);
      }
      // No write lost: the newest version still exists somewhere.
      const t = d.truth;
      if (t.floor[p] === t.latest[p] && !t.errLost[p]) {
        const v = t.latest[p]!;
        const somewhere =
          d.store.versions[p] === v ||
          d.store.write?.v === v && d.store.write.page === p ||
          this.engine.queuedWrites().some((q) => q.page === p && q.data === v) ||
          d.kernels.some((k) => {
            if (!k.alive) return false;
            const pg = k.pages[p];
            const ch = d.chans[k.id - 1]!;
            return (
              (isResident(pg) && pg.v === v) ||
              ch.toPager.some((m) => m.kind === 'dataReturn' && m.page === p && m.data[0] === v) ||
              ch.toKernel.some((m) => m.kind === 'dataSupply' && m.page === p && m.data === v)
            );
          });
        if (!somewhere) errs.push(`page ${p}: version ${v} is nowhere (write lost)`);
      }
    }
    return errs;
  }

  /**
   * Liveness from this state: with no new faults, calls or failures, and
   * every kernel answering, everything outstanding is answered within
   * `bound` steps. Returns an error or undefined.
   */
  settlesWithin(bound: number, proven?: { has(h: number): boolean; add(h: number): unknown }, hash?: (s: string) => number): string | undefined {
    const w = this.clone();
    const path: number[] = [];
    for (let i = 0; i < bound; i++) {
      if (proven && hash) {
        // The fair run is deterministic: reaching a state already proven live suffices.
        const h = hash(w.key());
        if (proven.has(h)) {
          for (const x of path) proven.add(x);
          return undefined;
        }
        path.push(h);
      }
      const s = w.steps(true)[0];
      if (!s) {
        const errs = w.invariants();
        if (errs.length) return `during the liveness run: ${errs[0]}`;
        for (const k of w.d.kernels) {
          if (!k.alive || k.hung) continue; // liveness assumes kernels that answer
          k.pages.forEach((pg, p) => {
            if (pg.s === 'waiting') errs.push(`kernel ${k.id} never got page ${p}`);
            if (pg.s === 'resident' && pg.unlock) errs.push(`kernel ${k.id}'s unlock of page ${p} never answered`);
          });
        }
        if (w.d.tokens.length) errs.push(`waited calls ${w.d.tokens} never completed`);
        for (const p of w.engine.pageNumbers()) {
          if (w.engine.inspectPage(p).waiters.length) errs.push(`page ${p} still has waiters at rest`);
        }
        if (errs.length) return `not live: ${errs[0]}`;
        if (proven) for (const x of path) proven.add(x);
        return undefined;
      }
      s.run(w);
    }
    return `not live: still busy after ${bound} steps`;
  }
}

export function describe(m: KernelMessage | KernelAction<number>): string {
  switch (m.kind) {
    case 'dataSupply':
      return `data_supply(k${m.kernel}, page ${m.page}, v${m.data}, lock ${m.lockValue}${m.precious ? ', precious' : ''})`;
    case 'lockRequest':
      return `lock_request(k${m.kernel}, page ${m.page}+${m.count}, return ${m.shouldReturn}${m.flush ? ', flush' : ''}, lock ${m.lockValue}${m.reply ? ', reply' : ''})`;
    case 'dataReturn':
      return `data_return(k${m.kernel}, page ${m.page}, v${m.data[0]}${m.dirty ? ', dirty' : ''}${m.kernelCopy ? ', kernel_copy' : ''})`;
    case 'dataRequest':
    case 'dataUnlock':
      return `${m.kind === 'dataRequest' ? 'data_request' : 'data_unlock'}(k${m.kernel}, page ${m.page}, ${m.access})`;
    case 'dataError':
      return `data_error(k${m.kernel}, page ${m.page}, ${m.error})`;
    case 'lockCompleted':
      return `lock_completed(k${m.kernel}, page ${m.page}+${m.count})`;
    default:
      return m.kind;
  }
}
