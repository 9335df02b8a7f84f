/** Typed items at the edges: bit and string types, empty arrays, odd sizes, receive buffers of exact size. */
import { alloc, makeSend, move, msg, oolPorts, port, ports, recv, scenario as sc, send, status } from '../builder.js';
import { portWithSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND, RIGHT_PORT_SET } = M;

export const itemsScenarios: Scenario[] = [
  sc('item-bits', 'items', 'an inline array of 12 one-bit elements', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: 0, size: 1, number: 12 }, data: 'a50f' }])),
    recv('p'),
  ]),
  sc('item-odd-bits', 'items', 'fifteen bits: five 3-bit elements', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: 0, size: 3, number: 5 }, data: 'ff7f' }])),
    recv('p'),
  ]),
  sc('item-string', 'items', 'a STRING_C item', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: M.STRING_C, size: 8, number: 6 }, data: '68757264' + '2100' }])),
    recv('p'),
  ]),
  sc('item-empty-port-array', 'items', 'an inline port array with no element in a complex message', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [ports(MAKE_SEND, [])])),
    recv('p'),
  ]),
  // An empty inline polymorphic array as MIG's stub sends it (mach-msg
  // conf_poly_block, portArray([], disposition)): a long-form descriptor
  // whose msgt_name is the caller's xxxPoly though no name follows, in a
  // message made complex by that disposition alone.
  sc('item-empty-poly-move-send', 'items', 'an empty inline long-form MOVE_SEND array (MIG polymorphic array, count 0)', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [ports(MOVE_SEND, [], { longform: true })], { id: 7315 })),
    recv('p'),
  ]),
  sc('item-empty-poly-make-send-once', 'items', 'an empty inline long-form MAKE_SEND_ONCE array (MIG polymorphic array, count 0)', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [ports(MAKE_SEND_ONCE, [], { longform: true })], { id: 7315 })),
    recv('p'),
  ]),
  sc('item-empty-poly-move-receive', 'items', 'an empty inline long-form MOVE_RECEIVE array (MIG polymorphic array, count 0)', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [ports(MOVE_RECEIVE, [], { longform: true })], { id: 7315 })),
    recv('p'),
  ]),
  sc('item-empty-ool-ports', 'items', 'an out-of-line port array with no element', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolPorts(MAKE_SEND, [])])),
    recv('p'),
  ]),
  sc('item-port-name-type', 'items', 'PORT_NAME items are not translated', [
    ...portWithSend(),
    alloc('q'),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: M.PORT_NAME, size: 32, number: 1 }, data: '39300000' }], { complex: true })),
    recv('p'),
    status('q'),
  ]),
  sc('rcv-size-exact', 'items', 'a receive buffer exactly the message size, then one word short', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: M.INTEGER_32, size: 32, number: 2 }, data: '0100000002000000' }])),
    send(msg('p', COPY_SEND, [{ kind: 'data', type: { name: M.INTEGER_32, size: 32, number: 2 }, data: '0300000004000000' }])),
    // i386: 24 + 4 + 8 = 36 bytes; x86_64: 32 + 8 + 8 = 48. Both tried: the
    // wrong one for the ABI is simply too small or large enough.
    recv('p', { size: 36 }),
    recv('p', { size: 48 }),
    recv('p', { size: 44 }),
  ]),
  sc('move-receive-member', 'items', 'moving the receive right of a set member takes it out of the set', [
    alloc('s', RIGHT_PORT_SET),
    alloc('q'),
    move('q', 's'),
    ...portWithSend(),
    send(msg('p', COPY_SEND, [port(MOVE_RECEIVE, 'q')])),
    recv('p'),
    { op: 'bind', as: 'q2', index: 2 },
    status('q2'),
  ]),
  sc('make-send-once-member', 'items', 'MAKE_SEND_ONCE of a port in a set, received through the set', [
    alloc('s', RIGHT_PORT_SET),
    alloc('p'),
    move('p', 's'),
    alloc('r'),
    makeSend('r'),
    send(msg('r', COPY_SEND, [port(MAKE_SEND_ONCE, 'p')])),
    recv('r'),
    status('p'),
  ]),
];
