import type { EngineState } from './state.js';

/**
 * A canonical serialisation of the whole engine state: equal strings for
 * equal states (insertion order of maps included, since it orders actions).
 * The checker hashes it to recognise states it has seen.
 */
export function stateKey<D>(s: EngineState<D>): string {
  const b = (x: boolean) => (x ? 1 : 0);
  const parts: string[] = [`${s.now}|${b(s.terminating)}|${b(s.mayCache)}${s.copyStrategy}|${s.nextSeq}|${s.nextLockId}|${s.lastFinishedSeq}`];
  for (const [p, pg] of s.pages) {
    let x = `P${p}:${pg.op}${b(pg.invalid)}${pg.error},${pg.queuedWrites},${b(pg.deferred)}`;
    for (const [k, h] of pg.holders) x += `h${k}.${b(h.write)}${b(h.precious)}${h.since}.${h.discarding}.${h.expect.join(',')}`;
    for (const w of pg.waiters) x += `w${w.kernel}.${b(w.write)}${b(w.unlock)}`;
    for (const [k, f] of pg.flushSent) x += `f${k}.${f.at}.${f.lock}`;
    if (pg.pending) x += `d${JSON.stringify(pg.pending.data)}.${b(pg.pending.kernelCopy)}${pg.pending.seq}`;
    parts.push(x);
  }
  for (const [k, c] of s.clients) {
    let x = `C${k}:`;
    for (const d of c.locks) x += `l${d.id}.${d.page}.${d.count}.${b(d.internal)}${b(d.discard)}${d.token ?? ''}.${d.sentAt}`;
    parts.push(x + `c${c.changeTokens.join(',')}`);
  }
  for (const w of s.writing ? [s.writing, ...s.writeQueue] : s.writeQueue) {
    parts.push(`W${w.seq}.${w.page}.${JSON.stringify(w.data)}.${b(w.kernelCopy)}`);
  }
  for (const [k, e] of s.nextError) parts.push(`E${k}.${e}`);
  for (const [t, c] of s.calls) parts.push(`T${t}.${c.replies}.${c.returns}.${c.first}.${c.count}.${c.untilSeq ?? ''}`);
  return parts.join(';');
}
