// netmsg-server: the cluster node. A node listens for netmsg-wire links and
// serves a host directory through the Hurd's fsys/fs/io RPCs; the client
// speaks the same RPCs over a link.
export { NetmsgServerError, isNetmsgServerError, type NetmsgServerErrorCode } from './errors.js';
export { HurdErrno, hurdErrorName, hurdErrnoOf, type HurdErrnoName } from './errno.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './log.js';
export {
  DEFAULT_HOST, DEFAULT_PORT, NodeOptionsSchema, isLoopback, parseHostPort, parseNodeOptions,
  type HostPort, type NodeOptionsInput, type NodeOptionsParsed,
} from './options.js';
export { defaultSecretFile, loadOrCreateSecret, readSecretFile } from './secret.js';
export { checkListenSecurity, serveOptionsFrom, tlsFilesOf } from './options.js';
export {
  LINK_EXPORTER_LABEL, MAX_UNIX_PATH, TLS_MIN_VERSION, channelSecret, clearStaleSocket, dialTransport, formatAddress, isUnixAddress,
  listenTransport, loadTlsMaterial, parseDialUrl, parseTransportAddress,
  type AcceptedStream, type DialOptions, type DialTarget, type DialedStream, type TlsFiles, type TlsMaterial, type TransportAddress,
  type TransportKind, type TransportListener, type TransportListenOptions, type UnixAddress,
} from './transport/index.js';
export * from './hurd-types.js';
export {
  createCredentialPolicy, defaultLocalIdentity, NO_IDENTITY, NOBODY, owns, parseMapUser, parseMapUsers, permits,
  type CredentialPolicy, type CredentialPolicyOptions, type LocalIdentity, type UserMapping,
} from './credentials.js';
export { CONTROL_PORT, FsExport, MAX_TRANSFER, errorReply, type FsExportOptions, type IoMapAnswer, type ServerReply } from './fs-export.js';
export { machToWire, wireToMach } from './wire-bridge.js';
export { TcpLink, type TcpLinkHandlers, type TcpLinkOptions } from './tcp-link.js';
export { startNode, type NodeListener, type RunningNode, type StartNodeExtras } from './node.js';
export { FsClient, type RemotePort } from './client.js';
export { connect, parseNodeUrl, type ConnectOptions } from './connect.js';
// The cluster machinery: the node's NetmsgNode driven on its hurd-ffi kernel, the export as a task.
export { ClusterNode, openNodeKernel, type AttachOptions, type ClusterNodeOptions, type KernelBackend } from './cluster/cluster-node.js';
export { fitMigAbi } from './cluster/mig-abi.js';
export { NetmsgDriver, type LinkSink, type NetmsgDriverOptions } from './cluster/netmsg-driver.js';
export { ExportTask } from './cluster/export-task.js';
// The node's auth server and reauthentication (io_reauthenticate, auth_*_authenticate) across links.
export {
  AuthCore, AuthServer, ExportReauth, attachAuth, EMPTY_IDS, ROOT_IDS, identityOfIds, idsOfIdentity, makeauthIds,
  dropRendezvous, newRendezvous, sendReauthenticate, userAuthenticate,
  type AuthAction, type AuthCaller, type AuthEvent, type AuthIds, type ReplyRight,
} from './auth/index.js';
export { CallFailed, MigUser, sendErrorReply, type CallFailure } from './cluster/mig-user.js';
export { Mapping, ioMap, mapFile, type MapOptions } from './client-map.js';
export { runDemo, type DemoOptions, type DemoResult } from './demo/index.js';
export { FilePager, MapService, lateMapService, type FilePagerOptions, type FilePagerStats, type MapServiceOptions, type MappedFile, type PagerTrace } from './pager/index.js';
