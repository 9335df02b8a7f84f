// Transports: how a link's ordered byte stream is made. TCP (default), TLS 1.3
// with mutual certificates, Unix sockets. A netmsg-wire Connection runs on
// top of any of them (TcpLink drives it over a net.Socket, which a TLSSocket is).
export {
  DEFAULT_HOST, DEFAULT_PORT, MAX_UNIX_PATH, formatAddress, isLoopback, isUnixAddress, parseDialUrl, parseHostPort, parseTransportAddress,
  type DialTarget, type HostPort, type TransportAddress, type UnixAddress,
} from './address.js';
export { LINK_EXPORTER_LABEL, TLS_MIN_VERSION, channelSecret, loadTlsMaterial, type TlsFiles, type TlsMaterial } from './tls.js';
export { listenTransport, type AcceptedStream, type TransportKind, type TransportListener, type TransportListenOptions } from './listen.js';
export { dialTransport, type DialOptions, type DialedStream } from './dial.js';
export { clearStaleSocket } from './unix-socket.js';
export { addClientTransportOptions, addServeTransportOptions, clientTransportFlags, parseUnixTarget, serveTransportFlags, type ServeTransportFlagValues, type TlsFlagValues } from './cli-flags.js';
