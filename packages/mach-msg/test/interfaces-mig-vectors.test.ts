import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getBuiltinInterface, type BuiltinInterfaceName } from '../src/interfaces/index.js';
import { decodeMessage } from '../src/decode.js';
import { encodeMessage } from '../src/encode.js';
import type { Abi } from '../src/message.js';

/**
 * Messages the real MIG (Debian 13) built from gnumach-dev's own .defs
 * (test/fixtures/mig): our declarations must accept every one of them, as
 * sent and as received, with MIG's type checks, and find the same return code.
 */
interface Vector {
  name: string;
  routine: string;
  clientRet: number;
  send: string;
  rcvd: string;
  reply: string | null;
  reply_rcvd: string | null;
}

const fixtures = (name: string, abi: Abi): Vector[] =>
  (JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/mig/${name}.${abi}.json`, import.meta.url)), 'utf8')) as { vectors: Vector[] }).vectors;

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

describe.each(['x86_64', 'i386'] as const)('real MIG vectors through our declarations (%s)', (abi) => {
  it.each(['notify', 'memory_object', 'mach', 'mach_port'] as const)('%s', (name: BuiltinInterfaceName) => {
    const itf = getBuiltinInterface(name, abi);
    let checked = 0;
    for (const v of fixtures(name, abi)) {
      const r = itf.byName.get(v.routine);
      if (r === undefined) continue; // a routine we leave out (a skip)
      for (const form of ['send', 'rcvd'] as const) {
        const msg = decodeMessage(bytes(v[form]), abi);
        expect(() => r.decodeRequest(msg), `${v.name} ${form}`).not.toThrow();
        expect(Buffer.from(encodeMessage(msg, abi)).toString('hex'), `${v.name} ${form} re-encoded`).toBe(v[form]);
      }
      if (v.reply_rcvd !== null) {
        expect(r.decodeReply(decodeMessage(bytes(v.reply_rcvd), abi)).retCode, v.name).toBe(v.clientRet);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
