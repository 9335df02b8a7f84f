/** Receiving: timeouts, RCV_TOO_LARGE / RCV_LARGE, invalid names, order. */
import {
  alloc,
  destroy,
  int32,
  int32s,
  makeSend,
  move,
  msg,
  notify,
  oolBytes,
  pattern,
  port,
  recv,
  scenario as sc,
  send,
  status,
} from '../builder.js';
import { portWithSend, remoteSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND, MOVE_SEND, RIGHT_PORT_SET, RIGHT_DEAD_NAME } = M;

export const receiveScenarios: Scenario[] = [
  sc('rcv-timeout', 'receive', 'a receive with a timeout on an empty port', [
    alloc('p'),
    recv('p', { timeout: 10 }),
  ]),
  sc('rcv-too-large', 'receive', 'a message larger than rcv_size is destroyed', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [int32s([1, 2, 3, 4, 5, 6, 7, 8])])),
    recv('p', { size: 40 }),
    status('p'),
    recv('p'),
  ]),
  sc('rcv-large', 'receive', 'MACH_RCV_LARGE leaves the message queued and reports its size', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [int32s([1, 2, 3, 4, 5, 6, 7, 8])])),
    recv('p', { size: 40, options: M.RCV | M.RCV_TIMEOUT | M.RCV_LARGE }),
    status('p'),
    recv('p'),
  ]),
  sc('rcv-too-large-rights', 'receive', 'a too-large message with rights is destroyed with them', [
    ...portWithSend(),
    alloc('q'),
    alloc('n'),
    makeSend('q'),
    notify('q', M.NOTIFY_NO_SENDERS, 0, 'n'),
    send(msg('p', COPY_SEND, [port(MOVE_SEND, 'q'), int32s([1, 2, 3, 4, 5, 6, 7, 8])])),
    recv('p', { size: 40 }),
    recv('n'),
  ]),
  sc('rcv-invalid-name', 'receive', 'receive on an unused name', [recv(0x4267)]),
  sc('rcv-on-send-right', 'receive', 'receive on a send-only name', [...remoteSend('s'), recv('s')]),
  sc('rcv-on-dead-name', 'receive', 'receive on a dead name', [alloc('d', RIGHT_DEAD_NAME), recv('d')]),
  sc('rcv-fifo', 'receive', 'messages are received in order', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [int32(1)], { id: 11 })),
    send(msg('p', COPY_SEND, [int32(2)], { id: 12 })),
    recv('p'),
    recv('p'),
  ]),
  sc('rcv-destroyed-port-messages', 'receive', 'destroying a port destroys its queued rights', [
    ...portWithSend(),
    alloc('q'),
    alloc('n'),
    notify('q', M.NOTIFY_NO_SENDERS, 0, 'n'),
    send(msg('p', COPY_SEND, [port(MAKE_SEND, 'q')])),
    destroy('p'),
    recv('n'),
  ]),
  sc('rcv-set-timeout', 'receive', 'receive with a timeout on an empty port set', [
    alloc('s', RIGHT_PORT_SET),
    alloc('p'),
    move('p', 's'),
    recv('s', { timeout: 10 }),
  ]),
  sc('rcv-send-rcv-too-small', 'receive', 'SEND|RCV where the reply does not fit', [
    ...portWithSend(),
    {
      op: 'msg',
      options: M.SEND | M.RCV | M.SEND_TIMEOUT | M.RCV_TIMEOUT,
      send: msg('p', COPY_SEND, [int32s([1, 2, 3, 4, 5, 6])]),
      rcvSize: 40,
      rcvName: 'p',
      timeout: 0,
    },
    status('p'),
  ]),
  sc('rcv-too-large-ool', 'receive', 'a too-large message carrying out-of-line memory', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(300), 8), int32s([1, 2, 3, 4, 5, 6, 7, 8])])),
    recv('p', { size: 40 }),
    status('p'),
  ]),
  sc('send-rcv-other-port', 'receive', 'SEND to one port and RCV on another in one call', [
    ...portWithSend(),
    alloc('r'),
    makeSend('r'),
    send(msg('r', COPY_SEND, [int32(8)])),
    {
      op: 'msg',
      options: M.SEND | M.RCV | M.SEND_TIMEOUT | M.RCV_TIMEOUT,
      send: msg('p', COPY_SEND, [int32(9)]),
      rcvSize: 4096,
      rcvName: 'r',
      timeout: 0,
    },
    recv('p'),
  ]),
  sc('rcv-large-set', 'receive', 'MACH_RCV_LARGE on a port set', [
    alloc('s', RIGHT_PORT_SET),
    alloc('p'),
    move('p', 's'),
    send(msg('p', MAKE_SEND, [int32s([1, 2, 3, 4, 5, 6, 7, 8])])),
    recv('s', { size: 40, options: M.RCV | M.RCV_TIMEOUT | M.RCV_LARGE }),
    recv('s'),
  ]),
];
