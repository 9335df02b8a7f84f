/** Step sequences several scenario files share. */
import { alloc, extract, insert, makeSend, task2 } from '../builder.js';
import { MAKE_SEND_ONCE, MOVE_RECEIVE } from '../mach.js';
import type { Step } from '../scenario.js';

/** A receive right `p` with a send right in the same name. */
export const portWithSend = (p = 'p'): Step[] => [alloc(p), makeSend(p)];
/** A send-once right to `p`, named `so`. */
export const sendOnce = (p = 'p', so = 'so'): Step[] => [extract(p, MAKE_SEND_ONCE, so)];
/** A send right `s` in task 0 whose receive right lives in task 1 as 0x1f03. */
export const remoteSend = (s = 's'): Step[] => [task2(), alloc(s), makeSend(s), insert(0x1f03, s, MOVE_RECEIVE, 1)];
