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
export * from './hurd-types.js';
export { CONTROL_PORT, FsExport, MAX_TRANSFER, errorReply, type FsExportOptions, type ServerReply } from './fs-export.js';
export { machToWire, wireToMach } from './wire-bridge.js';
export { TcpLink, type TcpLinkHandlers, type TcpLinkOptions } from './tcp-link.js';
export { startNode, type RunningNode, type StartNodeExtras } from './node.js';
export { FsClient, connect, parseNodeUrl, type ConnectOptions, type RemotePort } from './client.js';
