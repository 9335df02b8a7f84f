import { Packr } from 'msgpackr';
import { z } from 'zod';
import { WireError } from './errors.js';

/**
 * Control frames are msgpack maps checked by these zod schemas; anything a
 * schema rejects is a `bad_control` error, never a partially trusted object.
 */

const u32 = z.number().int().min(0).max(0xffffffff);
const u53 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const bytes = (n: number) =>
  z.instanceof(Uint8Array).refine((b) => b.length === n, { message: `must be ${n} bytes` });

export const NONCE_BYTES = 32;
export const MAC_BYTES = 32;

export const HelloSchema = z
  .object({
    /** Supported protocol versions, inclusive range. */
    vmin: z.number().int().min(1).max(0xffff),
    vmax: z.number().int().min(1).max(0xffff),
    node: u32,
    abi: z.enum(['i386', 'x86_64']),
    caps: z.array(z.string().max(64)).max(32),
    nonce: bytes(NONCE_BYTES),
    /** Per-port credit window this node grants (messages). */
    window: z.number().int().min(1).max(0xffff),
    /** Largest frame this node accepts. */
    maxFrame: z.number().int().min(256).max(0x7fffffff),
  })
  .strict()
  .refine((h) => h.vmin <= h.vmax, { message: 'vmin > vmax' });
export type Hello = z.infer<typeof HelloSchema>;

export const AuthSchema = z.object({ mac: bytes(MAC_BYTES) }).strict();
export type Auth = z.infer<typeof AuthSchema>;

export const CloseSchema = z.object({ code: z.string().max(64), reason: z.string().max(1024) }).strict();
export type Close = z.infer<typeof CloseSchema>;

/** Link-level port protocol frames (PROTOCOL.md §5). */
export const ControlSchema = z.discriminatedUnion('t', [
  /** The sender gives back `n` send-right transfers of the port it received on this link. */
  z.object({ t: z.literal('release'), node: u32, serial: u53, n: z.number().int().min(1).max(0xffffffff) }).strict(),
  /**
   * The port is dead (its receive right was destroyed, or its route died).
   * `seen`: the MESSAGE frames the sender had received on this link when it
   * sent it, so the receiver can tell a DEAD sent before a receive right it
   * wrote there reached the sender (PROTOCOL.md §4.4).
   */
  z.object({ t: z.literal('dead'), node: u32, serial: u53, seen: u53 }).strict(),
  /**
   * Migration marker: travels the port's route behind every message sent
   * before it; the node `origin` waits for it before delivering a receive
   * right it got while proxying the port (PROTOCOL.md §4.5).
   */
  z.object({
    t: z.literal('flush'), node: u32, serial: u53, origin: u32,
    /**
     * Set by a node that returns the marker because the port's proxy died
     * there (a link loss broke the route): the origin's proxy is doomed,
     * its local senders get dead names instead of the arriving right
     * (PROTOCOL.md §4.5, "a doomed proxy").
     */
    broken: z.literal(true).optional(),
    /**
     * Set by a node that has nothing for the port and no link to `origin`,
     * sending the marker back to the node it came from (a relay passes it
     * on down its route). A node in the same state drops it instead of
     * sending it back again (PROTOCOL.md §4.5, "Markers that find nothing").
     */
    bounced: z.literal(true).optional(),
    /**
     * Since version 3. Set by `origin` on the marker it re-sends straight
     * to the node its receive right came from when the link to its route
     * (to node `via`) died: that node passes it to `via`, which sends it
     * down its own route, behind what it forwarded before the loss
     * (PROTOCOL.md §4.5, "A migration whose route died").
     */
    via: u32.optional(),
    /**
     * Since version 4. The origin's migration this marker belongs to (a
     * number the origin gives each migration of its own; every marker of
     * it, re-sent ones included, carries it, and every node passing the
     * marker on copies it): a marker of an earlier migration coming back
     * while a new one of the same port is under way there finishes nothing
     * (PROTOCOL.md §4.5, "A marker lost on its way home").
     */
    round: u53.optional(),
  }).strict(),
  /** `n` more messages to the port may be sent on this link. */
  z.object({ t: z.literal('credit'), node: u32, serial: u53, n: z.number().int().min(1).max(0xffff) }).strict(),
  /**
   * `n` send-once rights counted for late messages from this link reach the
   * port directly now: its receive right came back to the node `origin`
   * where they were made, so their messages never come this way. Passed
   * down the route until it reaches `origin` (PROTOCOL.md §4.5).
   */
  z.object({ t: z.literal('direct'), node: u32, serial: u53, n: z.number().int().min(1).max(0xffffffff), origin: u32 }).strict(),
]);
export type ControlFrame = z.infer<typeof ControlSchema>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function packControl(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Unpack and validate; any failure is a typed `bad_control` error. */
export function unpackControl<T>(schema: z.ZodType<T>, payload: Uint8Array, what: string): T {
  let raw: unknown;
  try {
    raw = packr.unpack(payload);
  } catch (e) {
    throw new WireError('bad_control', `${what}: not msgpack (${(e as Error).message ?? String(e)})`);
  }
  // The frames every RPC carries (credit, release, dead) are checked by hand first: exactly
  // what their zod schemas accept, without zod's cost; anything else goes through the schema.
  if ((schema as unknown) === ControlSchema && isCommonControl(raw)) return raw as T;
  const r = schema.safeParse(raw);
  if (!r.success) throw new WireError('bad_control', `${what}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

const isU32 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isU53 = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * A plain object that ControlSchema's `credit`, `release` or `dead` member
 * accepts as it is (strict: no other keys), checked without zod.
 */
function isCommonControl(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) return false;
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o).length;
  if (!isU32(o['node']) || !isU53(o['serial'])) return false;
  const n = o['n'];
  switch (o['t']) {
    case 'credit': return keys === 4 && typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffff;
    case 'release': return keys === 4 && typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
    case 'dead': return keys === 4 && isU53(o['seen']);
    default: return false;
  }
}
