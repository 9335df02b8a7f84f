/** Out-of-line data and port arrays. */
import {
  alloc,
  makeSend,
  msg,
  names,
  oolAt,
  oolBytes,
  oolPorts,
  pattern,
  recv,
  refs,
  scenario as sc,
  send,
  status,
} from '../builder.js';
import { portWithSend } from './common.js';
import * as M from '../mach.js';
import type { Scenario } from '../scenario.js';

const { COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_RECEIVE, MOVE_SEND, RIGHT_SEND } = M;

export const oolScenarios: Scenario[] = [
  sc('ool-bytes', 'ool', 'out-of-line bytes keep their page offset', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(100), 0x80)])),
    recv('p'),
  ]),
  sc('ool-bytes-dealloc', 'ool', 'out-of-line bytes with the deallocate bit', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(64), 0, { deallocate: true })])),
    recv('p'),
  ]),
  sc('ool-zero-length', 'ool', 'zero-length out-of-line item', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes('', 0)])),
    recv('p'),
  ]),
  sc('ool-multi-page', 'ool', 'out-of-line data across pages', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(5000, 3), 0x800)])),
    recv('p'),
  ]),
  sc('ool-short-form', 'ool', 'out-of-line bytes in a short-form descriptor', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(12), 0, { longform: false })])),
    recv('p'),
  ]),
  sc('ool-bad-address', 'ool', 'out-of-line pointer to unmapped memory', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolAt(0x1000, 100)])),
    recv('p'),
  ]),
  sc('ool-null-address-nonzero-size', 'ool', 'out-of-line pointer 0 with a size', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolAt(0, 16)])),
    recv('p'),
  ]),
  sc('ool-ports', 'ool', 'out-of-line port array of MAKE_SEND', [
    ...portWithSend(),
    alloc('a'),
    alloc('b'),
    send(msg('p', COPY_SEND, [oolPorts(MAKE_SEND, ['a', 'b', 'a'])])),
    status('a'),
    recv('p'),
    refs('a', RIGHT_SEND),
  ]),
  sc('ool-ports-copy-null-dead', 'ool', 'out-of-line COPY_SEND with null and dead entries', [
    ...portWithSend(),
    alloc('a'),
    makeSend('a'),
    send(msg('p', COPY_SEND, [oolPorts(COPY_SEND, ['a', 0, 0xffffffff])])),
    recv('p'),
    refs('a', RIGHT_SEND),
  ]),
  sc('ool-ports-move-receive', 'ool', 'out-of-line array moving receive rights', [
    ...portWithSend(),
    alloc('a'),
    alloc('b'),
    send(msg('p', COPY_SEND, [oolPorts(MOVE_RECEIVE, ['a', 'b'])])),
    names(),
    recv('p'),
    names(),
  ]),
  sc('ool-ports-bad-size', 'ool', 'out-of-line ports with msgt_size 64', [
    ...portWithSend(),
    alloc('a'),
    send(msg('p', COPY_SEND, [oolPorts(MAKE_SEND, ['a'], { size: 64 })])),
    recv('p'),
  ]),
  sc('ool-ports-invalid-name', 'ool', 'out-of-line port array with an unused name', [
    ...portWithSend(),
    alloc('a'),
    send(msg('p', COPY_SEND, [oolPorts(MAKE_SEND, ['a', 0x4255])])),
    status('a'),
    recv('p'),
  ]),
  // MIG's polymorphic port arrays (^array[] of polymorphic, or array[] above
  // the inline limit: mach-msg conf_poly_arrays) send whatever disposition
  // the caller picks at run time, in a long-form out-of-line descriptor.
  sc('ool-ports-poly-send-once', 'ool', 'out-of-line MAKE_SEND_ONCE array (a polymorphic array\'s run-time disposition)', [
    ...portWithSend(),
    alloc('a'),
    alloc('b'),
    send(msg('p', COPY_SEND, [oolPorts(MAKE_SEND_ONCE, ['a', 'b', 'a'])])),
    status('a'),
    recv('p'),
    names(),
  ]),
  sc('ool-ports-poly-move-send', 'ool', 'out-of-line MOVE_SEND array moving one name\'s two urefs', [
    ...portWithSend(),
    alloc('a'),
    makeSend('a'),
    makeSend('a'),
    send(msg('p', COPY_SEND, [oolPorts(MOVE_SEND, ['a', 'a'])])),
    refs('a', RIGHT_SEND),
    recv('p'),
    refs('a', RIGHT_SEND),
  ]),
  sc('ool-two-items', 'ool', 'two out-of-line regions', [
    ...portWithSend(),
    send(msg('p', COPY_SEND, [oolBytes(pattern(20, 5), 4), oolBytes(pattern(30, 6), 0x100)])),
    recv('p'),
  ]),
];
