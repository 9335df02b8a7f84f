/**
 * The committed MIG conformance vectors (test/fixtures/mig/*.json, written by
 * conformance/generate.sh; format in conformance/README.md).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Abi } from '../../src/index.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface OolBytes {
  address: string;
  hex: string;
}
/** The four captures of one call: request as sent and as received, reply likewise. */
export type Kind = 'send' | 'rcvd' | 'reply' | 'reply_rcvd';
export interface Vector {
  name: string;
  routine: string;
  id: number;
  args: Record<string, Json>;
  serverArgs: Record<string, Json>;
  serverOuts: Record<string, Json>;
  serverRet: number;
  clientOuts: Record<string, Json>;
  clientRet: number;
  send: string;
  rcvd: string;
  reply: string | null;
  reply_rcvd: string | null;
  ool: Record<Kind, OolBytes[]>;
}
export interface Fixture {
  interface: string;
  abi: Abi;
  source: string;
  vectors: Vector[];
}

export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'mig');

/** One interface's vectors for one ABI. */
export function loadFixture(iface: string, abi: Abi): Fixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${iface}.${abi}.json`), 'utf8')) as Fixture;
}

/** Every fixture file, in name order. */
export function loadAllFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Fixture);
}

export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
