import type { PagerAction } from '../src/actions.js';
import type { PagerConfig } from '../src/config.js';
import { PagerEngine } from '../src/engine/engine.js';
import type { PagerEvent } from '../src/events.js';
import type { Access, KernelId, PageIndex } from '../src/types.js';

/** A scripted engine: feed events by name, inspect what came out. */
export class Script {
  readonly engine: PagerEngine<number>;
  /** Every action so far, in order. */
  readonly log: PagerAction<number>[] = [];

  constructor(kernels: KernelId[] = [1, 2, 3], config: Partial<PagerConfig> = {}) {
    this.engine = new PagerEngine<number>(config);
    for (const k of kernels) this.send({ kind: 'init', kernel: k, pageSize: this.engine.config.pageSize });
  }

  send(ev: PagerEvent<number>): PagerAction<number>[] {
    const out = this.engine.handle(ev);
    this.log.push(...out);
    return out;
  }

  request(kernel: KernelId, page: PageIndex, access: Access = 'read') {
    return this.send({ kind: 'dataRequest', kernel, page, count: 1, access });
  }
  unlock(kernel: KernelId, page: PageIndex) {
    return this.send({ kind: 'dataUnlock', kernel, page, count: 1, access: 'write' });
  }
  giveBack(kernel: KernelId, page: PageIndex, v: number, dirty = true, kernelCopy = false) {
    return this.send({ kind: 'dataReturn', kernel, page, data: [v], dirty, kernelCopy });
  }
  completed(kernel: KernelId, page: PageIndex, count = 1) {
    return this.send({ kind: 'lockCompleted', kernel, page, count });
  }
  read(page: PageIndex, v: number) {
    return this.send({ kind: 'readDone', page, data: v, writeLock: false });
  }
  /** Grant `kernel` the page as the only holder, read from the store as `v`. */
  grant(kernel: KernelId, page: PageIndex, access: Access, v = 0) {
    this.request(kernel, page, access);
    return this.read(page, v);
  }
  holders(page: PageIndex): [KernelId, boolean][] {
    return [...this.engine.inspectPage(page).holders].map(([k, h]) => [k, h.write]);
  }
  waiters(page: PageIndex): string[] {
    return this.engine.inspectPage(page).waiters.map((w) => `${w.kernel}${w.unlock ? 'u' : w.write ? 'w' : 'r'}`);
  }
}

export function ofKind<K extends PagerAction<number>['kind']>(
  actions: PagerAction<number>[],
  kind: K,
): Extract<PagerAction<number>, { kind: K }>[] {
  return actions.filter((a): a is Extract<PagerAction<number>, { kind: K }> => a.kind === kind);
}

/** A compact rendering for exact-sequence assertions. */
export function brief(actions: PagerAction<number>[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'dataSupply':
        return `supply k${a.kernel} p${a.page} v${a.data} ${a.lockValue === 0 ? 'rw' : 'ro'}${a.precious ? ' precious' : ''}`;
      case 'lockRequest':
        return `lock k${a.kernel} p${a.page}+${a.count} ret=${a.shouldReturn}${a.flush ? ' flush' : ''} lock=${a.lockValue}${a.reply ? ' reply' : ''}`;
      case 'dataError':
        return `error k${a.kernel} p${a.page} ${a.error}`;
      case 'readPage':
        return `read p${a.page}`;
      case 'writePage':
        return `write p${a.page} v${a.data} #${a.seq}`;
      case 'unlockPage':
        return `unlock p${a.page}`;
      case 'completed':
        return `completed ${a.token}`;
      default:
        return a.kind + ('kernel' in a ? ` k${a.kernel}` : '') + ('page' in a ? ` p${a.page}` : '');
    }
  });
}
