/** The driver's options and the constants its NetmsgNode runs with (netmsg-driver.ts). */
import type { MachMessage } from 'mach-msg';
import type { WireLimits } from 'netmsg-wire';
import type { Logger } from '../log.js';

export interface NetmsgDriverOptions {
  node: number;
  limits?: WireLimits;
  log?: Logger;
  /** Largest message the netmsg task receives (inline part). */
  rcvSize?: number;
  /**
   * Period of the sweeps that make the dead-name requests on kept send-once
   * rights (NetmsgNode's `deferSendOnceRequests`), in ms; default
   * SEND_ONCE_SWEEP_MS. 0: each request is made at once, as the token is.
   */
  sendOnceSweepMs?: number;
}

/** Whether a message has an out-of-line item (placeOol / takeOol have nothing to do without one). */
export const hasOol = (msg: MachMessage): boolean => msg.items.some((it) => it.kind === 'ool');

/** Largest inline message netmsg accepts; out-of-line data does not count. */
export const RCV_SIZE = 4 << 20;
/**
 * Used reply (one-shot proxy) ports each link keeps for the next request's
 * reply right (NetmsgNode's `spareOneShots`): an RPC's server then makes no
 * port for the reply and destroys none. As many as the export serves at once.
 */
export const SPARE_ONE_SHOTS = 16;
/**
 * A kept send-once right (a remote caller's reply right, §4.4) gets its
 * dead-name request only if its token is still pending at the second sweep
 * after it was made, 50 to 100 ms later: a null RPC answers well before
 * that and costs neither the request nor the PORT_DELETED notification its
 * use would then make (one kernel call, one notification message and one
 * receive of netmsg's per RPC). A reply port that dies sooner is reported to
 * the server's node within those 100 ms instead of at once; a lost link is
 * unaffected (its pending RPCs fail at once, §4.4).
 */
export const SEND_ONCE_SWEEP_MS = 50;
