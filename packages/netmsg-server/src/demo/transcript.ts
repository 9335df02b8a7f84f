import type { PagerTrace } from '../pager/file-pager.js';

/**
 * The demo's output: readable lines, nothing run-dependent (ports, node ids,
 * temp paths and kernel port names are printed symbolically), so two runs
 * print the same text.
 */
export class Transcript {
  readonly lines: string[] = [];
  /** Pager-side names of kernels' control ports -> symbolic labels, in order of first sight. */
  private readonly kernels = new Map<number, string>();

  constructor(
    private readonly out: (line: string) => void,
    /** Labels given to kernels in the order their memory_object_init arrives. */
    private readonly kernelLabels: readonly string[],
  ) {}

  say(line = ''): void {
    this.lines.push(line);
    this.out(line);
  }

  kernel(control: number): string {
    let k = this.kernels.get(control);
    if (k === undefined) {
      k = this.kernelLabels[this.kernels.size] ?? `kernel ${this.kernels.size + 1}`;
      this.kernels.set(control, k);
    }
    return k;
  }

  /** One memory_object message, as the pager on the exporting node saw it. */
  pagerLine(t: PagerTrace, pageSize: number): string {
    const who = this.kernel(t.kernel);
    const routine = t.routine.replace(/^memory_object_/, '');
    const range = t.page === undefined ? '' : ` offset ${t.page * pageSize}${t.count && t.count > 1 ? ` (${t.count} pages)` : ''}`;
    const detail = t.detail ? `, ${t.detail}` : '';
    return t.dir === 'in'
      ? `      ${who.padEnd(8)} -> ${'pager'.padEnd(8)}  ${routine}${range}${detail}`
      : `      ${'pager'.padEnd(8)} -> ${who.padEnd(8)}  ${routine}${range}${detail}`;
  }
}

/** Text between quotes, NUL-terminated C strings cut at the NUL. */
export function cText(bytes: Uint8Array): string {
  const n = bytes.indexOf(0);
  return new TextDecoder().decode(n < 0 ? bytes : bytes.subarray(0, n));
}
