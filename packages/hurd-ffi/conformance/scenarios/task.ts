/** Task death: what happens to rights when the second task is terminated. */
import {
  alloc,
  bind,
  insert,
  makeSend,
  modRefs,
  msg,
  notify,
  port,
  recv,
  scenario as sc,
  send,
  status,
  task2,
  task2Terminate,
  type,
} from '../builder.js';
import { remoteSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, RIGHT_SEND } = M;

export const taskScenarios: Scenario[] = [
  sc('task-death-dead-name', 'task', 'the receiver\'s task dies: dead-name notification', [
    ...remoteSend('s'),
    alloc('n'),
    notify('s', M.NOTIFY_DEAD_NAME, 0, 'n'),
    task2Terminate(),
    type('s'),
    recv('n'),
  ]),
  sc('task-death-no-senders', 'task', 'the sender\'s task dies: no-senders notification', [
    task2(),
    alloc('p'),
    alloc('n'),
    insert(0x1f21, 'p', MAKE_SEND, 1),
    modRefs(0x1f21, RIGHT_SEND, 2, 1),
    notify('p', M.NOTIFY_NO_SENDERS, 0, 'n'),
    recv('n'),
    task2Terminate(),
    recv('n'),
    status('p'),
  ]),
  sc('task-death-send-once', 'task', 'a send-once right dies with its task', [
    task2(),
    alloc('p'),
    insert(0x1f23, 'p', MAKE_SEND_ONCE, 1),
    status('p'),
    task2Terminate(),
    recv('p'),
    status('p'),
  ]),
  sc('task-death-port-destroyed', 'task', 'a receive right with a port-destroyed request dies with its task', [
    task2(),
    alloc('p'),
    alloc('n'),
    notify('p', M.NOTIFY_PORT_DESTROYED, 0, 'n'),
    insert(0x1f25, 'p', MOVE_RECEIVE, 1),
    task2Terminate(),
    recv('n'),
    bind('back', 2),
    status('back'),
  ]),
  sc('task-death-queued', 'task', 'messages queued on a dying task\'s port are destroyed with their rights', [
    task2(),
    alloc('p'),
    makeSend('p'),
    alloc('q'),
    alloc('n'),
    notify('q', M.NOTIFY_NO_SENDERS, 0, 'n'),
    send(msg('p', COPY_SEND, [port(MAKE_SEND, 'q')])),
    insert(0x1f27, 'p', MOVE_RECEIVE, 1),
    status(0x1f27, 1),
    task2Terminate(),
    type('p'),
    recv('n'),
  ]),
];
