import type { Cluster } from './cluster.js';

/**
 * The schedules' link operations (schedules.ts, with link loss only): `cut`
 * loses a live link (both ends see it, nothing said); `relink` links two
 * nodes again whose link was lost, under the same node ids, as
 * netmsg-server's re-dial of a configured peer does (PROTOCOL.md §9: what
 * a node still holds from the old link must not be taken as the new
 * link's). True when a link was cut.
 */
export function linkOp(c: Cluster, op: { op: 'cut' | 'relink'; a: number; b: number }, nodes: number): boolean {
  const a = (op.a % nodes) + 1;
  const b = (op.b % nodes) + 1;
  if (a === b) return false;
  if (op.op === 'relink') {
    if (!c.linked(a, b)) c.relink(a, b);
    return false;
  }
  if (!c.linked(a, b)) return false;
  c.cut(a, b);
  return true;
}
