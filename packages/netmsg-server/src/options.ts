import { z } from 'zod';
import { statSync } from 'node:fs';
import { createCredentialPolicy, defaultLocalIdentity, parseMapUsers, type CredentialPolicy, type UserMapping } from './credentials.js';
import { NetmsgServerError } from './errors.js';
import {
  DEFAULT_HOST, DEFAULT_PORT, isLoopback, isUnixAddress, parseHostPort, parseTransportAddress,
  type HostPort, type TransportAddress, type UnixAddress,
} from './transport/address.js';

export { DEFAULT_HOST, DEFAULT_PORT, isLoopback, parseHostPort, type HostPort, type TransportAddress, type UnixAddress };

const hostPortObject = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();
const unixObject = z.object({ path: z.string().min(1) }).strict();

// One transform rather than a union, so the message says what is wrong (a
// union only reports "Invalid input").
const address = (what: string) => z.unknown().transform((v, ctx): TransportAddress => {
  if (typeof v === 'string') {
    try {
      return parseTransportAddress(v, what);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^option '[^']*': /, '') });
      return z.NEVER;
    }
  }
  const r = hostPortObject.safeParse(v);
  if (r.success) return r.data;
  const u = unixObject.safeParse(v);
  if (u.success) {
    try {
      return parseTransportAddress(`unix:${u.data.path}`, what);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }
  ctx.addIssue({ code: 'custom', message: `want "HOST:PORT", "unix:/PATH", { host, port } or { path }: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}` });
  return z.NEVER;
});

/**
 * `listen`: one address or a list (a node may listen on TCP and a Unix
 * socket at once); always a non-empty list once parsed. Each entry is
 * checked by `address`, and an error names its index.
 */
const listenList = z.unknown().transform((v, ctx): TransportAddress[] => {
  const items = Array.isArray(v) ? v : [v];
  if (items.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'want at least one address' });
    return z.NEVER;
  }
  const out: TransportAddress[] = [];
  const one = address('listen');
  items.forEach((item, i) => {
    const r = one.safeParse(item);
    if (r.success) out.push(r.data);
    else for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: Array.isArray(v) ? [i] : [], message: issue.message });
  });
  return out;
});

/** Two listeners on the same place (port 0 is any free port, so never the same). */
function sameListener(a: TransportAddress, b: TransportAddress): boolean {
  if (isUnixAddress(a) || isUnixAddress(b)) return isUnixAddress(a) && isUnixAddress(b) && a.path === b.path;
  return a.port !== 0 && a.port === b.port && a.host === b.host;
}

const mapUsers = z.array(z.unknown()).transform((v, ctx): UserMapping[] => {
  try {
    return parseMapUsers(v.map((x) => {
      if (typeof x === 'string') return x;
      const o = z.object({ remote: z.number().int(), local: z.number().int(), gid: z.number().int().optional(), groups: z.array(z.number().int()).optional() }).strict().parse(x);
      return `${o.remote}:${o.local}${o.gid !== undefined ? `:${[o.gid, ...(o.groups ?? [])].join(',')}` : ''}`;
    }));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof z.ZodError ? 'want "REMOTE:LOCAL[:GID[,GID...]]" or { remote, local, gid?, groups? }' : (e as Error).message });
    return z.NEVER;
  }
});

/** What `startNode` accepts (and, in JSON, a `--config` file). */
export const NodeOptionsSchema = z
  .object({
    /** Directory to export; default: the current directory. */
    export: z.string().min(1).optional(),
    /**
     * Where to listen: "HOST:PORT" (TCP, or TLS with the tls* options) or
     * "unix:/PATH", or a list of them (repeatable `--listen`: TCP and a Unix
     * socket at once); default 127.0.0.1:2345. Port 0 picks a free port.
     */
    listen: listenList.optional(),
    /** Nodes to link to at start ("HOST:PORT" or "unix:/PATH"), repeatable `--peer`. */
    peers: z.array(address('peer')).optional(),
    /** Export read-write (default read-only). */
    readWrite: z.boolean().optional(),
    /** File holding the shared link secret; default generated beside the user's config. */
    secretFile: z.string().min(1).optional(),
    /** The secret itself (library use; wins over secretFile). */
    secret: z.union([z.string().min(8), z.instanceof(Uint8Array)]).optional(),
    /** TLS 1.3 with mutual certificates: this node's certificate, key, and the CA peers' certificates must chain to. All three or none. */
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    tlsCa: z.string().min(1).optional(),
    /**
     * Certificates alone authenticate links: no shared secret is needed; the
     * netmsg-wire HMAC handshake still runs, keyed by the TLS session's
     * exporter value. Needs the tls* options.
     */
    tlsOnly: z.boolean().optional(),
    /** Credential mappings, `REMOTE:LOCAL[:GID[,GID...]]` (repeatable `--map-user`). */
    mapUser: mapUsers.optional(),
    /** The node kernel's and its tasks' ABI (default x86_64); peers of either ABI interoperate. */
    abi: z.enum(['x86_64', 'i386']).optional(),
    /** The node's Mach kernel: hurd-ffi's simulated GNU Mach (default) or the real one. */
    kernel: z.enum(['sim', 'gnumach']).optional(),
    /** This node's id on links (default random). */
    nodeId: z.number().int().min(1).max(0xffffffff).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
    logJson: z.boolean().optional(),
    /** 'kernel' (default): requests pass through the node's simulated GNU Mach kernel; 'direct': straight into the server. */
    /** Upper bound of ports (open files) a single link may hold on this node. */
    maxPortsPerLink: z.number().int().min(1).optional(),
    /**
     * io_map's file pagers evict a kernel that leaves a revoking lock request
     * unanswered this long (ms), so that one stuck kernel cannot stall the
     * pages others wait for (pager-core's lockTimeout). Default 60000; 0
     * waits for ever. `--pager-lock-timeout MS`.
     */
    pagerLockTimeoutMs: z.number().int().min(0).max(0x7fffffff).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const tls = [o.tlsCert, o.tlsKey, o.tlsCa];
    const given = tls.filter((x) => x !== undefined).length;
    if (given !== 0 && given !== 3) {
      const missing = (['tlsCert', 'tlsKey', 'tlsCa'] as const).filter((k) => o[k] === undefined);
      ctx.addIssue({ code: 'custom', path: [missing[0]!], message: `TLS needs a certificate, its key and a CA: missing ${missing.join(', ')}` });
    }
    if (o.tlsOnly && given !== 3) ctx.addIssue({ code: 'custom', path: ['tlsOnly'], message: 'tlsOnly needs tlsCert, tlsKey and tlsCa' });
    if (o.tlsOnly && (o.secret !== undefined || o.secretFile !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tlsOnly'], message: 'tlsOnly authenticates with certificates alone; drop the secret, or drop tlsOnly to require both' });
    }
    (o.listen ?? []).forEach((a, i) => {
      const path = o.listen!.length > 1 ? ['listen', i] : ['listen'];
      if (given === 3 && isUnixAddress(a)) {
        ctx.addIssue({ code: 'custom', path, message: 'TLS runs over TCP; a Unix socket is protected by its file mode (0600)' });
      }
      if (o.listen!.slice(0, i).some((b) => sameListener(a, b))) ctx.addIssue({ code: 'custom', path, message: 'listed twice' });
    });
  });

export type NodeOptionsInput = z.input<typeof NodeOptionsSchema>;
export type NodeOptionsParsed = z.output<typeof NodeOptionsSchema>;

/** Validate; the error names the offending option. */
export function parseNodeOptions(input: unknown, source = 'options'): NodeOptionsParsed {
  const r = NodeOptionsSchema.safeParse(input);
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    return `${source}: option '${path}': ${i.message}`;
  });
  throw new NetmsgServerError('bad_option', msgs.join('; '));
}

/** The TLS files of parsed options, if TLS is on. */
export function tlsFilesOf(o: NodeOptionsParsed): { cert: string; key: string; ca: string } | undefined {
  return o.tlsCert !== undefined && o.tlsKey !== undefined && o.tlsCa !== undefined ? { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa } : undefined;
}

/**
 * Security by default: a node reachable from other machines must have an
 * authentication both ends agreed on out of band — an explicit shared secret
 * (`secret`/`secretFile`), or mutual certificates alone (`tlsOnly`). A
 * generated secret only the local user knows would make every remote link
 * fail, and a node reachable without one would be open. Unix sockets and
 * loopback are local.
 */
export function checkListenSecurity(o: NodeOptionsParsed): void {
  if (o.secret !== undefined || o.secretFile !== undefined || o.tlsOnly === true) return;
  for (const listen of listenAddresses(o)) {
    if (isUnixAddress(listen) || isLoopback(listen.host)) continue;
    throw new NetmsgServerError(
      'insecure_listen',
      `refusing to listen on non-loopback address ${listen.host} without an explicit secret: pass --secret-file FILE (the same file on every node), or --tls-cert/--tls-key/--tls-ca with --tls-only`,
    );
  }
}

/** Where a node listens: the `listen` option's addresses, or the default 127.0.0.1:2345. */
export function listenAddresses(o: NodeOptionsParsed): TransportAddress[] {
  return o.listen ?? [{ host: DEFAULT_HOST, port: DEFAULT_PORT }];
}

/**
 * `serve` flags (commander's camel-cased values) and a `--config` file's
 * JSON, merged (flags win) and validated. Repeatable flags (`--peer`,
 * `--map-user`) replace the file's list when given.
 */
export function serveOptionsFrom(flags: Record<string, unknown>, config?: { file: string; text: string }): NodeOptionsParsed {
  let fromFile: Record<string, unknown> = {};
  if (config) {
    try {
      fromFile = JSON.parse(config.text) as Record<string, unknown>;
    } catch (e) {
      throw new NetmsgServerError('bad_option', `config ${config.file}: not JSON: ${(e as Error).message}`);
    }
    if (fromFile === null || typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      throw new NetmsgServerError('bad_option', `config ${config.file}: want a JSON object of options`);
    }
    parseNodeOptions(fromFile, `config ${config.file}`);
  }
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (k === 'config' || v === undefined || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    picked[k] = v;
  }
  return parseNodeOptions({ ...fromFile, ...picked }, 'serve');
}

/**
 * The export's credential policy from `mapUser`: explicit mappings, and the
 * default identity for everyone else (credentials.ts: the node's own ids, or
 * the export owner's / nobody's when the node runs as root). Empty when no
 * mapping is given: the export then builds the same default itself.
 */
export function credentialsOf(o: NodeOptionsParsed, exportDir: string): { credentials?: CredentialPolicy } {
  if (!o.mapUser?.length) return {};
  const st = statSync(exportDir);
  return { credentials: createCredentialPolicy({ mappings: o.mapUser, fallback: defaultLocalIdentity({ uid: st.uid, gid: st.gid }) }) };
}
