/**
 * The kernel's own invariants, checked from outside (tests, property runs):
 * one receive right per live port, send and send-once counts that match the
 * rights held in spaces, in queued messages and in notification requests, no
 * orphaned message, urefs >= 1 on every live send or dead name; sound
 * address spaces and copy-mapping stores.
 */
import { MACH_MSG_TYPE_PORT_RECEIVE, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE } from 'mach-msg';
import type { IpcKernel } from './ipc-kernel.js';
import type { IpcPort } from './ipc-port.js';
import { T_DEAD_NAME, T_PORT_SET, T_RECEIVE, T_SEND, T_SEND_ONCE, UREFS_MAX } from './ipc-space.js';
import { DEAD, type Kmsg } from './ipc-kmsg-types.js';
import { kmsgRights } from './ipc-object.js';
import type { SimKernel } from './sim-kernel.js';
import { PAGE_SIZE } from './vm-map.js';

/** Returns every violated invariant, as text; [] when the kernel is sound. */
export function checkInvariants(kernel: SimKernel | IpcKernel): string[] {
  const k = 'core' in kernel ? kernel.core : kernel;
  const bad: string[] = [];
  const srights = new Map<IpcPort, number>();
  const sorights = new Map<IpcPort, number>();
  const receives = new Map<IpcPort, number>();
  const inc = (m: Map<IpcPort, number>, p: IpcPort): void => {
    m.set(p, (m.get(p) ?? 0) + 1);
  };
  const spaces = [k.kernelTask, ...k.tasks.values()].filter((t) => t.active).map((t) => t.space);
  for (const space of spaces) {
    for (const [name, e] of space.entries) {
      if (e.name !== name) bad.push(`space ${space.task}: entry ${name} carries name ${e.name}`);
      const obj = e.object;
      const dead = obj !== null && obj.kind === 'port' && !obj.active;
      if (e.type === 0) bad.push(`space ${space.task}: name ${name} has no rights`);
      if (e.type & T_DEAD_NAME && (e.urefs < 1 || obj !== null)) bad.push(`space ${space.task}: dead name ${name} urefs ${e.urefs}`);
      if (e.type & T_SEND && e.urefs < 1) bad.push(`space ${space.task}: send right ${name} with urefs ${e.urefs}`);
      if (e.urefs > UREFS_MAX) bad.push(`space ${space.task}: name ${name} urefs ${e.urefs} over the maximum`);
      if (e.type & T_PORT_SET && (obj === null || obj.kind !== 'pset' || !obj.active)) bad.push(`space ${space.task}: bad port set ${name}`);
      if (obj === null || obj.kind !== 'port' || dead) continue;
      if (e.type & T_SEND) inc(srights, obj);
      if (e.type & T_SEND_ONCE) inc(sorights, obj);
      if (e.type & T_RECEIVE) {
        inc(receives, obj);
        if (obj.receiver !== space || obj.receiverName !== name) bad.push(`port ${obj.id}: receiver is not ${space.task}:${name}`);
      }
      if (e.type & (T_SEND | T_RECEIVE) && space.reverse.get(obj) !== e) bad.push(`space ${space.task}: ${name} missing from the reverse map`);
      if (e.dnrequest !== null) {
        inc(sorights, e.dnrequest);
        if (!obj.dnrequests.has(e)) bad.push(`port ${obj.id}: dead-name request of ${space.task}:${name} not registered`);
      }
    }
    for (const [p, e] of space.reverse) {
      if (space.entries.get(e.name) !== e || e.object !== p) bad.push(`space ${space.task}: stale reverse entry ${e.name}`);
    }
  }
  const kmsgs: Kmsg[] = [];
  for (const p of k.ports) {
    for (const m of p.queue) {
      if (m.dest !== p) bad.push(`port ${p.id}: queued message for port ${m.dest.id}`);
      kmsgs.push(m);
    }
    for (const w of p.blockedSenders) kmsgs.push(w.kmsg);
    if (p.nsrequest !== null) inc(sorights, p.nsrequest);
    if (p.pdrequest !== null) inc(sorights, p.pdrequest);
    if (p.pset !== null && (!p.pset.active || !p.pset.members.has(p))) bad.push(`port ${p.id}: bad port set link`);
  }
  for (const m of kmsgs) {
    for (const { kp, type } of kmsgRights(m)) {
      if (kp === null || kp === DEAD || !kp.active) continue;
      if (type === MACH_MSG_TYPE_PORT_SEND) inc(srights, kp);
      else if (type === MACH_MSG_TYPE_PORT_SEND_ONCE) inc(sorights, kp);
      else if (type === MACH_MSG_TYPE_PORT_RECEIVE) inc(receives, kp);
    }
  }
  for (const p of k.ports) {
    if (!p.active) bad.push(`port ${p.id}: inactive but registered`);
    const r = receives.get(p) ?? 0;
    if (r !== 1) bad.push(`port ${p.id}: ${r} receive rights`);
    if (p.receiver === null && (receives.get(p) ?? 0) === 1 && p.receivers.length > 0) bad.push(`port ${p.id}: waiters without a receiver`);
    if ((srights.get(p) ?? 0) !== p.srights) bad.push(`port ${p.id}: srights ${p.srights}, counted ${srights.get(p) ?? 0}`);
    if ((sorights.get(p) ?? 0) !== p.sorights) bad.push(`port ${p.id}: sorights ${p.sorights}, counted ${sorights.get(p) ?? 0}`);
    if (p.srights < 0 || p.sorights < 0) bad.push(`port ${p.id}: negative right count`);
  }
  for (const s of k.psets) for (const p of s.members) if (p.pset !== s) bad.push(`pset ${s.id}: member ${p.id} points elsewhere`);
  // Address spaces: sorted, page-aligned, disjoint regions; anonymous pages only inside anonymous regions.
  for (const t of [k.kernelTask, ...k.tasks.values()]) {
    let end = 0;
    for (const r of t.vm.regions) {
      if (r.start % PAGE_SIZE !== 0 || r.end % PAGE_SIZE !== 0 || r.end <= r.start || r.start < end) {
        bad.push(`task ${t.id}: bad region [${r.start}, ${r.end})`);
      }
      end = r.end;
    }
    // Copy mappings: the region's object pages lie in its store's mapped ranges; no private page outside them.
    for (const r of t.vm.regions) {
      const m = r.mapping;
      if (m === null || m.copy === undefined) continue;
      const first = m.offset / PAGE_SIZE;
      const last = first + (r.end - r.start) / PAGE_SIZE;
      if (!m.copy.ranges.some(([f, e]) => f <= first && last <= e)) bad.push(`task ${t.id}: copy region [${r.start}, ${r.end}) outside its store`);
      for (const idx of m.copy.pages.keys()) {
        if (!m.copy.ranges.some(([f, e]) => idx >= f && idx < e)) bad.push(`task ${t.id}: private copy page ${idx} no longer mapped`);
      }
    }
    for (const pg of t.vm.pages.keys()) {
      const r = t.vm.regionAt(pg * PAGE_SIZE);
      if (r === undefined || r.mapping !== null) bad.push(`task ${t.id}: stray anonymous page ${pg}`);
    }
  }
  return bad;
}
