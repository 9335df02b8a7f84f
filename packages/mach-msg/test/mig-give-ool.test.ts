/**
 * EncodeOptions.giveOutOfLine: byte arrays the caller gives up reach
 * placeOutOfLine as they are (no copy), as a MIG stub sends the caller's
 * own buffer out-of-line; without it, or for data that stays inline, the
 * message and placeOutOfLine get copies the caller's later writes do not reach.
 */
import { describe, expect, it } from 'vitest';
import { getBuiltinInterface, type Abi } from '../src/index.js';

const ABIS: Abi[] = ['i386', 'x86_64'];

describe('giveOutOfLine', () => {
  for (const abi of ABIS) {
    it(`${abi}: io_read's reply data out-of-line is the caller's buffer only when given up`, () => {
      const r = getBuiltinInterface('io', abi).routine('io_read');
      const placed: Uint8Array[] = [];
      const placeOutOfLine = (data: Uint8Array): bigint => {
        placed.push(data);
        return 0x1000n * BigInt(placed.length);
      };
      const big = new Uint8Array(8192).fill(7);
      r.encodeReply({ data: big }, { header: { remotePort: 5 }, placeOutOfLine, giveOutOfLine: true });
      expect(placed[0]).toBe(big);
      r.encodeReply({ data: big }, { header: { remotePort: 5 }, placeOutOfLine });
      expect(placed[1]).not.toBe(big);
      expect(placed[1]).toEqual(big);
      big.fill(1);
      expect(placed[1]).toEqual(new Uint8Array(8192).fill(7));
      // Inline data is the message's own copy either way.
      const small = new Uint8Array(16).fill(3);
      const m = r.encodeReply({ data: small }, { header: { remotePort: 5 }, placeOutOfLine, giveOutOfLine: true });
      small.fill(9);
      const item = m.items.find((i) => i.kind === 'data' && i.type.number === 16);
      expect(item?.kind === 'data' ? item.data : null).toEqual(new Uint8Array(16).fill(3));
      expect(placed).toHaveLength(2);
    });
  }
});
