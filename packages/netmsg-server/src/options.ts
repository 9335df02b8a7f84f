import { z } from 'zod';
import { NetmsgServerError } from './errors.js';

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
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new NetmsgServerError('bad_option', `listen: bad port '${port}' in '${s}'`);
    p = Number(port);
  }
  return { host, port: p };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const hostPortObject = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict();

// One transform rather than a union, so the message says what is wrong (a
// union only reports "Invalid input").
const hostPort = z.unknown().transform((v, ctx): HostPort => {
  if (typeof v === 'string') {
    try {
      return parseHostPort(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }
  const r = hostPortObject.safeParse(v);
  if (r.success) return r.data;
  ctx.addIssue({ code: 'custom', message: `want "HOST:PORT" or { host, port }: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}` });
  return z.NEVER;
});

/** What `startNode` accepts (and, in JSON, a `--config` file). */
export const NodeOptionsSchema = z
  .object({
    /** Directory to export; default: the current directory. */
    export: z.string().min(1).optional(),
    /** Where to listen; default 127.0.0.1:2345. Port 0 picks a free port. */
    listen: hostPort.optional(),
    /** Export read-write (default read-only). */
    readWrite: z.boolean().optional(),
    /** File holding the shared link secret; default generated beside the user's config. */
    secretFile: z.string().min(1).optional(),
    /** The secret itself (library use; wins over secretFile). */
    secret: z.union([z.string().min(8), z.instanceof(Uint8Array)]).optional(),
    /** This node's id on links (default random). */
    nodeId: z.number().int().min(1).max(0xffffffff).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
    logJson: z.boolean().optional(),
    /** 'kernel' (default): requests pass through the node's simulated GNU Mach kernel; 'direct': straight into the server. */
    route: z.enum(['kernel', 'direct']).optional(),
    /** Upper bound of ports (open files) a single link may hold on this node. */
    maxPortsPerLink: z.number().int().min(1).optional(),
  })
  .strict();

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
