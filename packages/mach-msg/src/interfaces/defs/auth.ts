import { HURD_TYPES_DEFS, MACH_TYPES_DEFS } from './types.js';

/**
 * The Hurd's auth interface (subsystem auth, 25000): user identities, and
 * the rendezvous by which a server learns a client's ids. Every routine of
 * the interface. Facts: hurd-fs-interfaces.md §4.5.
 */
export const AUTH_DEFS = `/* auth: identities (mach-msg built-in). */
subsystem auth 25000;
${MACH_TYPES_DEFS}${HURD_TYPES_DEFS}
/* 25000: effective and available uids and gids of a handle. */
routine auth_getids(
	handle		: auth_t;
    out	euids		: idarray_t;
    out	auids		: idarray_t;
    out	egids		: idarray_t;
    out	agids		: idarray_t);

/* 25001: a handle with ids drawn from handle and other_handles. */
routine auth_makeauth(
	handle		: auth_t;
	other_handles	: portarray_t;
	euids		: idarray_t;
	auids		: idarray_t;
	egids		: idarray_t;
	agids		: idarray_t;
    out	newhandle	: mach_port_make_send_t);

/* 25002: the client's half of the rendezvous. */
routine auth_user_authenticate(
	handle		: auth_t;
	sreplyport reply	: mach_port_poly_t;
	rendezvous	: mach_port_send_t;
    out	newport		: mach_port_send_t);

/* 25003: the server's half: hands newport over, learns the client's ids. */
routine auth_server_authenticate(
	handle		: auth_t;
	sreplyport reply	: mach_port_poly_t;
	rendezvous	: mach_port_send_t;
	newport		: mach_port_poly_t;
    out	euids		: idarray_t;
    out	auids		: idarray_t;
    out	egids		: idarray_t;
    out	agids		: idarray_t);
`;
