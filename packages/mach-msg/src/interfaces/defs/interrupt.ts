import { MACH_TYPES_DEFS } from './types.js';

/**
 * The Hurd's interrupt interface (subsystem interrupt, 33000): glibc sends
 * interrupt_operation to the server port of an RPC the user interrupted,
 * then waits for the original reply. The body is empty; the time limit and
 * the sequence number are stub arguments, not message items. Facts:
 * hurd-fs-interfaces.md §3.2, item 11.
 */
export const INTERRUPT_DEFS = `/* interrupt: cancel a pending RPC (mach-msg built-in). */
subsystem interrupt 33000;
${MACH_TYPES_DEFS}
/* 33000: the server answers 0 and makes the interrupted call return EINTR (or finishes it). */
routine interrupt_operation(
	interrupt_port	: mach_port_t;
	waittime timeout	: natural_t;
	msgseqno seqno	: natural_t);
`;
