/**
 * The node's auth server and reauthentication across links: handles and
 * rendezvous (auth-core, a pure state machine; auth-server, its task on the
 * node's kernel), the export's io_reauthenticate (export-auth) and the
 * client's half (client-auth).
 */
export { AuthCore, type AuthAction, type AuthEvent, type ReplyRight } from './auth-core.js';
export { AuthServer } from './auth-server.js';
export { ExportReauth, attachAuth } from './export-auth.js';
export {
  dropRendezvous, getIds, makeAuth, newRendezvous, reauthenticate, sendReauthenticate, userAuthenticate, type AuthCaller,
} from './client-auth.js';
export { EMPTY_IDS, ROOT_IDS, identityOfIds, idsOfIdentity, makeauthIds, type AuthIds } from './ids.js';
