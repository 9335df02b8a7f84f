/**
 * What `node --import` loads in the traced program (hurd-rpctrace puts it in
 * NODE_OPTIONS): takes the trace pipe's descriptor out of the environment at
 * once (so that the program's own children, which do not have the pipe but
 * inherit NODE_OPTIONS, never write to whatever their fd 3 is), and registers
 * the hooks that wrap hurd-ffi's openKernel.
 */
import { register } from 'node:module';
import { TRACE_FD_ENV, TRACE_FD_GLOBAL } from './wire.js';

const fd = process.env[TRACE_FD_ENV];
delete process.env[TRACE_FD_ENV];
(globalThis as Record<symbol, unknown>)[TRACE_FD_GLOBAL] = fd === undefined ? undefined : Number(fd);

register('./hooks.js', import.meta.url, { data: { tapUrl: new URL('./tap.js', import.meta.url).href } });
