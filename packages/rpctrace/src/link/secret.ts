/**
 * The link's shared secret, read as netmsg-server reads it (the same file
 * serves the nodes and the tracer): the file's text, trimmed, at least 16
 * characters, in a file only its owner can read. The default file is
 * netmsg-server's: $NETMSG_SERVER_HOME/secret, else
 * ${XDG_CONFIG_HOME:-~/.config}/netmsg-server/secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RpcTraceError } from '../errors.js';

export function defaultSecretFile(): string {
  const base = process.env['NETMSG_SERVER_HOME'] ?? join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'netmsg-server');
  return join(base, 'secret');
}

export function readSecretFile(file: string): Uint8Array {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    throw new RpcTraceError('invalid_option', `secret file ${file}: ${(e as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new RpcTraceError('invalid_option', `secret file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 16) throw new RpcTraceError('invalid_option', `secret file ${file} holds fewer than 16 characters`);
  return new TextEncoder().encode(text);
}

/** `HOST:PORT` (IPv6 as `[::1]:PORT`); HOST defaults to 127.0.0.1 for a bare `PORT` or `:PORT`. */
export function parseHostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(s);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RpcTraceError('invalid_option', `${what} wants HOST:PORT, got '${s}'`);
  }
  const host = m[1] ?? (m[2] === undefined || m[2] === '' ? '127.0.0.1' : m[2]);
  return { host, port };
}
