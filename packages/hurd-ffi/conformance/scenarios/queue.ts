/** Queue limits, send timeouts and MACH_SEND_NOTIFY. */
import {
  alloc,
  int32,
  msg,
  names,
  port,
  qlimit,
  recv,
  scenario as sc,
  send,
  status,
  type,
} from '../builder.js';
import { portWithSend, remoteSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE } = M;

export const queueScenarios: Scenario[] = [
  sc('qlimit-default', 'queue', 'the default queue limit', [alloc('p'), status('p')]),
  sc('qlimit-full-timeout', 'queue', 'a full queue times out a send', [
    ...portWithSend(),
    qlimit('p', 1),
    send(msg('p', COPY_SEND, [int32(1)])),
    send(msg('p', COPY_SEND, [int32(2)])),
    status('p'),
    recv('p'),
    recv('p'),
  ]),
  sc('qlimit-full-moved-right', 'queue', 'a timed-out send gives a moved right back', [
    ...portWithSend(),
    qlimit('p', 1),
    alloc('q'),
    send(msg('p', COPY_SEND, [int32(1)])),
    send(msg('p', COPY_SEND, [port(MOVE_RECEIVE, 'q')])),
    type('q'),
    names(),
  ]),
  sc('qlimit-zero', 'queue', 'qlimit 0', [
    ...portWithSend(),
    qlimit('p', 0),
    status('p'),
    send(msg('p', COPY_SEND)),
    recv('p'),
  ]),
  sc('qlimit-too-big', 'queue', 'qlimit above MACH_PORT_QLIMIT_MAX', [alloc('p'), qlimit('p', 17), qlimit('p', 16), status('p')]),
  sc('qlimit-send-once-bypass', 'queue', 'send-once messages ignore the queue limit', [
    ...portWithSend(),
    qlimit('p', 1),
    send(msg('p', COPY_SEND)),
    send(msg('p', MAKE_SEND_ONCE)),
    status('p'),
  ]),
  sc('qlimit-not-receiver', 'queue', 'set_qlimit on a send right', [...remoteSend('s'), qlimit('s', 3)]),
  sc('send-notify-full', 'queue', 'MACH_SEND_NOTIFY on a full queue', [
    ...portWithSend(),
    alloc('n'),
    qlimit('p', 1),
    send(msg('p', COPY_SEND, [int32(1)])),
    send(msg('p', COPY_SEND, [int32(2)]), { options: M.SEND | M.SEND_TIMEOUT | M.SEND_NOTIFY, notify: 'n' }),
    status('p'),
    recv('p'),
    recv('p'),
    recv('n'),
  ]),
  sc('send-timeout-nonzero', 'queue', 'a send with a 20 ms timeout on a full queue', [
    ...portWithSend(),
    qlimit('p', 1),
    send(msg('p', COPY_SEND, [int32(1)])),
    send(msg('p', COPY_SEND, [int32(2)]), { timeout: 20 }),
    status('p'),
  ]),
  sc('qlimit-below-count', 'queue', 'lowering the queue limit below the queued count', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [int32(1)])),
    send(msg('p', COPY_SEND, [int32(2)])),
    send(msg('p', COPY_SEND, [int32(3)])),
    qlimit('p', 1),
    status('p'),
    send(msg('p', COPY_SEND, [int32(4)])),
    recv('p'),
    recv('p'),
    send(msg('p', COPY_SEND, [int32(5)])),
    recv('p'),
    send(msg('p', COPY_SEND, [int32(6)])),
  ]),
];
