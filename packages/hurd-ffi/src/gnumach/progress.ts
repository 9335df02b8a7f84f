/**
 * What the agent link has moved so far, for waits that must tell a guest
 * that is slow (QEMU's TCG on a loaded host: every round trip and byte
 * costs more, but they keep coming) from one that is stuck (a lost reply:
 * only the receive polls of tasks waiting for it still cross the link).
 * `productive` counts what only a guest making headway produces: every
 * round trip but the idle polls, and every unasked frame. Within one long
 * request (a 32 KiB vm_write chunk took 7-10 s at load 30-37: QEMU hands
 * the UART at most 14 bytes per main-loop turn, and each turn waits for the
 * host's scheduler) `guestUnread` shows the guest taking the frame in.
 */
import { readFileSync } from 'node:fs';
import type { AgentLink, InFlight } from './link.js';

export interface LinkProgress {
  /** Round trips done. */
  exchanges: number;
  /** Of those, receives that sent nothing and found nothing (MACH_RCV_TIMED_OUT): a waiting task's polls. */
  idlePolls: number;
  /** Unasked frames: watched messages, fault-thread and file-client results. */
  events: number;
  /** exchanges - idlePolls + events. */
  productive: number;
  bytesOut: number;
  bytesIn: number;
  /** The request on the wire now: its op, task, milliseconds since it was written, frame number and size. */
  inFlight?: InFlight;
  /** Requests waiting behind it. */
  queued: number;
  /**
   * Bytes written to the link that QEMU has not read yet (its socket's
   * receive queue, from /proc/net/tcp; absent where that cannot be read).
   * QEMU reads only what the guest's UART has room for, so this falls as the
   * guest consumes a frame.
   */
  guestUnread?: number;
}

/** The receive queue of the loopback socket whose local port is `local` and peer `peer`, from /proc/net/tcp. */
function receiveQueue(local: number, peer: number): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
  const hex = (port: number): string => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const want = `${hex(local)} ${hex(peer)}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (`${f[1]} ${f[2]}` !== want) continue;
    const rx = f[4]?.split(':')[1];
    return rx === undefined ? undefined : parseInt(rx, 16);
  }
  return undefined;
}

export function linkProgress(link: AgentLink, idlePolls: number): LinkProgress {
  const { inFlight, queued, ports } = link.state();
  const p: LinkProgress = {
    exchanges: link.exchanges,
    idlePolls,
    events: link.events,
    productive: link.exchanges - idlePolls + link.events,
    bytesOut: link.bytesOut,
    bytesIn: link.bytesIn,
    queued,
  };
  if (inFlight !== undefined) p.inFlight = inFlight;
  // QEMU's end: local port = our peer, peer = our local port.
  const unread = ports[0] !== 0 && ports[1] !== 0 ? receiveQueue(ports[1], ports[0]) : undefined;
  if (unread !== undefined) p.guestUnread = unread;
  return p;
}
