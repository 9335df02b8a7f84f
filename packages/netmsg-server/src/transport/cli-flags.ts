import { Option, type Command } from 'commander';
import { parseDialUrl } from './address.js';
import type { Abi } from 'mach-msg';
import type { KernelBackend } from '../cluster/cluster-node.js';
import { NetmsgServerError } from '../errors.js';

/**
 * The command line's transport flags, shared by `serve` and the client
 * commands, and their translation into node / connect options.
 */

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export interface TlsFlagValues {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsOnly?: boolean;
}

/** `--kernel` and `--abi`: the hurd-ffi backend and ABI of this end's own kernel (a node's, or a client's). */
export interface KernelFlagValues {
  kernel?: string;
  abi?: string;
}

export interface ServeTransportFlagValues extends TlsFlagValues, KernelFlagValues {
  peer?: string[];
  mapUser?: string[];
}

export type ClientFlagValues = TlsFlagValues & KernelFlagValues;

function addTls(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'TLS 1.3: this end\'s certificate (PEM); with --tls-key and --tls-ca')
    .option('--tls-key <file>', 'TLS 1.3: this end\'s private key (PEM)')
    .option('--tls-ca <file>', 'TLS 1.3: CA certificates the other end\'s certificate must chain to (PEM)')
    .option('--tls-only', 'authenticate by certificates alone (no shared secret; the link handshake is keyed by the TLS session)');
}

function addKernel(cmd: Command, whose: string): Command {
  return cmd
    .addOption(new Option('--kernel <kernel>', `the ${whose} Mach kernel: hurd-ffi's simulated GNU Mach, or the real one under QEMU`).choices(['sim', 'gnumach']))
    .addOption(new Option('--abi <abi>', `the ${whose} kernel's and tasks' ABI (peers of either ABI interoperate)`).choices(['x86_64', 'i386']));
}

/** `--peer`, `--tls-*`, `--map-user`, `--kernel`, `--abi` on `serve`. */
export function addServeTransportOptions(cmd: Command): Command {
  return addKernel(addTls(cmd)
    .option('--peer <host:port>', 'link to this node at start (HOST:PORT or unix:/PATH; repeatable)', collect, [])
    .option('--map-user <remote:local[:gid]>', 'remote uid REMOTE acts as local uid LOCAL (and group GID) (repeatable)', collect, []), 'node\'s');
}

/**
 * `--tls-*`, `--kernel`, `--abi` on the client commands. A client is a small
 * node of its own (`connect()`), so it has a kernel and an ABI as `serve`
 * does; they need not match the node's.
 */
export function addClientTransportOptions(cmd: Command): Command {
  return addKernel(addTls(cmd), 'client\'s own');
}

/** Flag values -> node option fields (only those given). */
export function serveTransportFlags(o: ServeTransportFlagValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.tlsCert !== undefined) out['tlsCert'] = o.tlsCert;
  if (o.tlsKey !== undefined) out['tlsKey'] = o.tlsKey;
  if (o.tlsCa !== undefined) out['tlsCa'] = o.tlsCa;
  if (o.tlsOnly) out['tlsOnly'] = true;
  if (o.peer?.length) out['peers'] = o.peer;
  if (o.mapUser?.length) out['mapUser'] = o.mapUser;
  if (o.kernel !== undefined) out['kernel'] = o.kernel;
  if (o.abi !== undefined) out['abi'] = o.abi;
  return out;
}

export interface ClientFlagOptions {
  tls?: { cert: string; key: string; ca: string };
  tlsOnly?: boolean;
  kernel?: KernelBackend;
  abi?: Abi;
}

/** Flag values -> `connect` options (`tls`, `tlsOnly`: all three files or none; `kernel`, `abi`). */
export function clientTransportFlags(o: ClientFlagValues): ClientFlagOptions {
  // commander's `choices` already refused any other value.
  const kernel: ClientFlagOptions = {
    ...(o.kernel !== undefined ? { kernel: o.kernel as KernelBackend } : {}),
    ...(o.abi !== undefined ? { abi: o.abi as Abi } : {}),
  };
  const given = [o.tlsCert, o.tlsKey, o.tlsCa].filter((x) => x !== undefined).length;
  if (given === 0) {
    if (o.tlsOnly) throw new NetmsgServerError('bad_option', `option '--tls-only' needs --tls-cert, --tls-key and --tls-ca`);
    return kernel;
  }
  if (given !== 3) throw new NetmsgServerError('bad_option', `TLS needs all of --tls-cert, --tls-key and --tls-ca`);
  return { ...kernel, tls: { cert: o.tlsCert!, key: o.tlsKey!, ca: o.tlsCa! }, ...(o.tlsOnly ? { tlsOnly: true } : {}) };
}

/**
 * A client target on a Unix socket: `unix:/SOCKET:PATH` (the socket path
 * ends at the first ':'; the remote path may be empty). Undefined when the
 * target is not `unix:`.
 */
export function parseUnixTarget(s: string): { url: string; path: string } | undefined {
  if (!s.startsWith('unix:')) return undefined;
  const rest = s.slice(5);
  const i = rest.indexOf(':');
  const sock = i < 0 ? rest : rest.slice(0, i);
  const path = i < 0 ? '' : rest.slice(i + 1);
  const url = `unix:${sock}`;
  parseDialUrl(url);
  return { url, path };
}
