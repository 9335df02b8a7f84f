import { isAbsolute, resolve } from 'node:path';
import { NetmsgServerError } from '../errors.js';

/** Default listen address: the seed's netmsg port on loopback. */
export const DEFAULT_PORT = 2345;
export const DEFAULT_HOST = '127.0.0.1';

export interface HostPort {
  host: string;
  port: number;
}

/** "HOST:PORT", "[v6]:PORT", "HOST" or ":PORT" -> host and port (defaults filled in). */
export function parseHostPort(s: string, defaults: HostPort = { host: DEFAULT_HOST, port: DEFAULT_PORT }): HostPort {
  let host = s;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
  } else if (s.includes(':')) {
    const i = s.lastIndexOf(':');
    host = s.slice(0, i);
    port = s.slice(i + 1);
  }
  if (host === '') host = defaults.host;
  let p = defaults.port;
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new NetmsgServerError('bad_option', `bad port '${port}' in '${s}'`);
    p = Number(port);
  }
  return { host, port: p };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Where a link's byte stream comes from. A TCP address is `{ host, port }`
 * (the shape `listen` always had); a Unix socket is `{ path }`. Which of the
 * two decides the transport; TLS is a layer chosen by the TLS options, not by
 * the address.
 */
export type UnixAddress = { path: string };
export type TransportAddress = HostPort | UnixAddress;

export function isUnixAddress(a: TransportAddress): a is UnixAddress {
  return 'path' in a;
}

/**
 * Linux's sun_path is 108 bytes including the NUL: a longer path cannot be
 * bound or connected to at all, so say so instead of failing obscurely.
 */
export const MAX_UNIX_PATH = 107;

function unixAddress(p: string, what: string): UnixAddress {
  if (p === '') throw new NetmsgServerError('bad_option', `${what}: empty Unix socket path in 'unix:'`);
  const path = isAbsolute(p) ? p : resolve(p);
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new NetmsgServerError('bad_option', `${what}: Unix socket path ${path} is longer than ${MAX_UNIX_PATH} bytes`);
  }
  return { path };
}

/** `unix:/path` (relative paths resolve against the cwd) or `HOST:PORT`. */
export function parseTransportAddress(s: string, what = 'listen', defaults: HostPort = { host: DEFAULT_HOST, port: DEFAULT_PORT }): TransportAddress {
  if (s.startsWith('unix:')) return unixAddress(s.slice('unix:'.length), what);
  return parseHostPort(s, defaults);
}

/** A dial target: the address and whether the URL itself asked for TLS. */
export interface DialTarget {
  address: TransportAddress;
  /** `netmsg+tls://`: TLS is required (the caller must give certificates). */
  tls: boolean;
}

/**
 * Client URLs: `netmsg://HOST[:PORT]`, `netmsg+tcp://…`, `netmsg+tls://…`,
 * `HOST[:PORT]`, `unix:/path`, `netmsg+unix:///path` (the path after `//`).
 */
export function parseDialUrl(url: string): DialTarget {
  const bad = (): NetmsgServerError =>
    new NetmsgServerError('bad_url', `not a node address: '${url}' (want netmsg://HOST[:PORT], netmsg+tls://HOST[:PORT] or unix:/PATH)`);
  try {
    if (url.startsWith('unix:')) return { address: unixAddress(url.slice(5), 'url'), tls: false };
    const u = /^netmsg\+unix:\/\/(\/.*)$/.exec(url);
    if (u) return { address: unixAddress(u[1]!, 'url'), tls: false };
    const m = /^(?:netmsg(\+tcp|\+tls)?:\/\/)?([^/]*)\/?$/.exec(url);
    if (!m || m[2] === '') throw bad();
    return { address: parseHostPort(m[2]!, { host: DEFAULT_HOST, port: DEFAULT_PORT }), tls: m[1] === '+tls' };
  } catch (e) {
    if (e instanceof NetmsgServerError && e.code === 'bad_url') throw e;
    throw new NetmsgServerError('bad_url', `${(e as Error).message} (url '${url}')`);
  }
}

/** For logs and messages: `host:port`, `[v6]:port` or `unix:/path`. */
export function formatAddress(a: TransportAddress): string {
  if (isUnixAddress(a)) return `unix:${a.path}`;
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
