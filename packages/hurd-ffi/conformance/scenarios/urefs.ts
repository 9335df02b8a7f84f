/** User references and their limits. */
import {
  alloc,
  dealloc,
  makeSend,
  modRefs,
  msg,
  ports,
  port,
  recv,
  refs,
  scenario as sc,
  send,
  status,
  type,
} from '../builder.js';
import { portWithSend, sendOnce } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND, RIGHT_SEND, RIGHT_RECEIVE, RIGHT_SEND_ONCE, RIGHT_PORT_SET, RIGHT_DEAD_NAME } = M;

export const urefsScenarios: Scenario[] = [
  sc('urefs-send-add', 'urefs', 'mod_refs +5 on a send right', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, 5),
    refs('p', RIGHT_SEND),
    modRefs('p', RIGHT_SEND, -6),
    type('p'),
  ]),
  sc('urefs-overflow', 'urefs', 'send urefs past MACH_PORT_UREFS_MAX', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, 65533),
    refs('p', RIGHT_SEND),
    modRefs('p', RIGHT_SEND, 1),
    refs('p', RIGHT_SEND),
    modRefs('p', RIGHT_SEND, 1),
    refs('p', RIGHT_SEND),
  ]),
  sc('urefs-overflow-makesend', 'urefs', 'MAKE_SEND into a name at the uref limit', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, 65534),
    modRefs('p', RIGHT_SEND, 65533),
    refs('p', RIGHT_SEND),
    makeSend('p'),
    refs('p', RIGHT_SEND),
    makeSend('p'),
    refs('p', RIGHT_SEND),
  ]),
  sc('urefs-overflow-receive', 'urefs', 'receiving send rights into a name at the uref limit', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, 65533),
    alloc('q'),
    makeSend('q'),
    send(msg('q', COPY_SEND, [ports(MAKE_SEND, ['p', 'p'])])),
    refs('p', RIGHT_SEND),
    recv('q'),
    refs('p', RIGHT_SEND),
    status('p'),
  ]),
  sc('urefs-underflow', 'urefs', 'mod_refs below zero', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, -2),
    refs('p', RIGHT_SEND),
  ]),
  sc('urefs-receive', 'urefs', 'mod_refs on the receive right', [
    alloc('p'),
    modRefs('p', RIGHT_RECEIVE, 1),
    refs('p', RIGHT_RECEIVE),
    modRefs('p', RIGHT_RECEIVE, -1),
    type('p'),
  ]),
  sc('urefs-send-once', 'urefs', 'get_refs and mod_refs on a send-once right', [
    alloc('p'),
    ...sendOnce(),
    refs('so', RIGHT_SEND_ONCE),
    modRefs('so', RIGHT_SEND_ONCE, 1),
    modRefs('so', RIGHT_SEND_ONCE, -1),
    type('so'),
    recv('p'),
  ]),
  sc('urefs-wrong-right', 'urefs', 'get_refs for a right the name does not hold', [
    alloc('p'),
    refs('p', RIGHT_SEND),
    refs('p', RIGHT_DEAD_NAME),
    refs('p', RIGHT_PORT_SET),
    refs('p', 9),
  ]),
  sc('urefs-receive-send-merge', 'urefs', 'received send rights to an own port merge urefs', [
    ...portWithSend(),
    alloc('q'),
    send(msg('q', MAKE_SEND, [port(MAKE_SEND, 'p'), port(COPY_SEND, 'p')])),
    refs('p', RIGHT_SEND),
    recv('q'),
    refs('p', RIGHT_SEND),
  ]),
  sc('urefs-deallocate-send', 'urefs', 'mach_port_deallocate drops one uref', [
    ...portWithSend(),
    modRefs('p', RIGHT_SEND, 2),
    dealloc('p'),
    refs('p', RIGHT_SEND),
    dealloc('p'),
    dealloc('p'),
    type('p'),
    dealloc('p'),
  ]),
  sc('urefs-deallocate-receive', 'urefs', 'mach_port_deallocate on a receive right', [alloc('p'), dealloc('p'), type('p')]),
];
