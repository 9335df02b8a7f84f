/** Dead names. */
import {
  alloc,
  dealloc,
  destroy,
  insert,
  makeSend,
  modRefs,
  msg,
  port,
  recv,
  refs,
  scenario as sc,
  send,
  task2,
  type,
} from '../builder.js';
import { sendOnce, remoteSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MOVE_RECEIVE, MOVE_SEND_ONCE, RIGHT_SEND, RIGHT_DEAD_NAME } = M;

export const deadScenarios: Scenario[] = [
  sc('dead-allocate', 'dead', 'allocate a dead name', [
    alloc('d', RIGHT_DEAD_NAME),
    type('d'),
    refs('d', RIGHT_DEAD_NAME),
    modRefs('d', RIGHT_DEAD_NAME, 2),
    refs('d', RIGHT_DEAD_NAME),
    dealloc('d'),
    refs('d', RIGHT_DEAD_NAME),
    modRefs('d', RIGHT_DEAD_NAME, -2),
    type('d'),
  ]),
  sc('dead-from-send', 'dead', 'send rights turn into a dead name with their urefs', [
    ...remoteSend('s'),
    modRefs('s', RIGHT_SEND, 2),
    destroy(0x1f03, 1),
    type('s'),
    refs('s', RIGHT_DEAD_NAME),
    refs('s', RIGHT_SEND),
  ]),
  sc('dead-send-once', 'dead', 'a send-once right becomes a dead name', [
    task2(),
    alloc('p'),
    ...sendOnce(),
    insert(0x1f05, 'p', MOVE_RECEIVE, 1),
    destroy(0x1f05, 1),
    type('so'),
    refs('so', RIGHT_DEAD_NAME),
  ]),
  sc('dead-in-message', 'dead', 'COPY_SEND of a dead name in a body gives DEAD', [
    ...remoteSend('s'),
    destroy(0x1f03, 1),
    alloc('p'),
    makeSend('p'),
    send(msg('p', COPY_SEND, [port(COPY_SEND, 's')])),
    recv('p'),
    refs('s', RIGHT_DEAD_NAME),
  ]),
  sc('dead-destroy', 'dead', 'mach_port_destroy of a dead name', [alloc('d', RIGHT_DEAD_NAME), destroy('d'), type('d')]),
  sc('send-to-dead-send-once', 'dead', 'sending to a send-once right whose port died', [
    task2(),
    alloc('p'),
    ...sendOnce(),
    insert(0x1f17, 'p', MOVE_RECEIVE, 1),
    destroy(0x1f17, 1),
    send(msg('so', MOVE_SEND_ONCE)),
    type('so'),
  ]),
];
