import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runCli } from '../src/cli/run.js';
import { compileInterface, encodeMessage } from '../src/index.js';
import { DEMO_VECTORS } from '../src/cli/demo-vectors.js';
import { loadFixture } from './support/mig-vectors.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], stdin = ''): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    readStdin: async () => stdin,
  });
  return { code, out, err };
}

const compact = (h: string): string => h.replace(/[\s|]/g, '');
const noSenders64 = DEMO_VECTORS[0]!;
const noSenders32 = DEMO_VECTORS[1]!;

const dir = mkdtempSync(join(tmpdir(), 'mach-msg-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tmpFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A user interface with one routine at id 5000: `demo_ping(server; value: int; out twice: int)`. */
const USER_DEFS = 'subsystem demo 5000;\ntype int32 = MACH_MSG_TYPE_INTEGER_32;\nroutine demo_ping(server : MACH_MSG_TYPE_COPY_SEND; value : int32; out twice : int32);\n';
/** demo_ping(value 21) as a MIG stub would send it on i386. */
const PING_I386 = '13150000 20000000 05000000 06000000 00000000 88130000 | 02200110 15000000';

describe('mach-msg demo', () => {
  it('decodes every built-in vector by name and re-encodes it identically', async () => {
    const r = await run(['demo']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`All ${DEMO_VECTORS.length} messages re-encoded byte for byte.`);
    expect(r.out).toContain('notify.mach_notify_no_senders (request)');
    expect(r.out).toContain('mscount = 1');
    expect(r.out).toContain('memory_control = port 0x61 (MAKE_SEND)');
    expect(r.out).toContain('mach_port.mach_port_names (reply)');
    expect(r.out.match(/identical/g)?.length).toBe(DEMO_VECTORS.length);
    expect(r.out).not.toContain('DIFFERENT');
  });
});

describe('mach-msg decode and encode', () => {
  it.each(DEMO_VECTORS.map((v) => [v.label, v] as const))('round-trips %s through JSON', async (_l, v) => {
    const d = await run(['decode', '--abi', v.abi, v.hex]);
    expect(d.err).toBe('');
    expect(d.code).toBe(0);
    const json = JSON.parse(d.out) as { routine: string; args?: unknown };
    expect(typeof json.routine).toBe('string');
    expect(json.args).toBeDefined();
    const e = await run(['encode'], d.out);
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
    expect(e.out.trim()).toBe(compact(v.hex));
  });

  it('names the routine and its arguments, on both ABIs', async () => {
    for (const v of [noSenders64, noSenders32]) {
      const j = JSON.parse((await run(['decode', '--abi', v.abi, v.hex])).out);
      expect(j).toMatchObject({ abi: v.abi, id: 70, routine: 'notify.mach_notify_no_senders', kind: 'request', args: { mscount: 1 } });
      expect(j.message.header).toMatchObject({ localPort: 15, bits: { local: 18 } });
    }
  });

  it('reads the hex from stdin when no argument is given', async () => {
    const r = await run(['decode', '--abi', 'i386'], `${noSenders32.hex}\n`);
    expect(JSON.parse(r.out).routine).toBe('notify.mach_notify_no_senders');
  });

  it('shows an unknown id as plain values, and uses --msgids and --defs for it', async () => {
    const plain = JSON.parse((await run(['decode', '--abi', 'i386', PING_I386])).out);
    expect(plain).toMatchObject({ id: 5000, routine: null, values: [21] });
    const ids = tmpFile('demo.msgids', 'demo 5000 demo_ping 0 5000 5100\n');
    const named = JSON.parse((await run(['decode', '--abi', 'i386', '--msgids', ids, PING_I386])).out);
    expect(named).toMatchObject({ routine: 'demo.demo_ping', kind: 'request', values: [21] });
    const defs = tmpFile('demo.defs', USER_DEFS);
    const typed = JSON.parse((await run(['decode', '--abi', 'i386', '--defs', defs, PING_I386])).out);
    expect(typed).toMatchObject({ routine: 'demo.demo_ping', kind: 'request', args: { value: 21 } });
  });

  it('decodes a MIG error reply as its return code alone', async () => {
    // vm_allocate's reply with KERN_NO_SPACE (3): mig_reply_header_t, 48 bytes on x86_64.
    const r = await run(['decode', '--abi', 'x86_64', '00120000 30000000 0000000000000000 3100000000000000 00000000 49080000 | 02200020 01000000 03000000 00000000']);
    expect(JSON.parse(r.out)).toMatchObject({ routine: 'mach.vm_allocate', kind: 'reply', retCode: 3, args: {} });
  });

  it('accepts bytes after msgh_size only with --allow-trailing', async () => {
    const padded = `${noSenders32.hex} 00000000`;
    expect((await run(['decode', '--abi', 'i386', padded])).err).toMatch(/^mach-msg: trailing_bytes: /);
    const ok = await run(['decode', '--abi', 'i386', '--allow-trailing', padded]);
    expect(JSON.parse(ok.out)).toMatchObject({ size: 32, args: { mscount: 1 } });
  });

  it('says so when the items do not type-check against the routine', async () => {
    // The no-senders body (INTEGER_32) under port-deleted's id (it wants a PORT_NAME).
    const r = await run(['decode', '--abi', 'i386', '00120000 20000000 00000000 0f000000 00000000 41000000 02200110 01000000']);
    const j = JSON.parse(r.out);
    expect(j.routine).toBe('notify.mach_notify_port_deleted');
    expect(j.args).toBeUndefined();
    expect(j.note).toMatch(/MIG_/);
    expect(j.values).toEqual([1]);
  });

  it('reports bad bytes as the codec error with its byte offset, exit 1', async () => {
    const r = await run(['decode', '--abi', 'x86_64', '00120000 30000000']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^mach-msg: truncated_header: .* \(at byte 8\)\n$/);
    const size = await run(['decode', '--abi', 'i386', '00120000 24000000 00000000 0f000000 00000000 46000000 02200110 01000000']);
    expect(size.err).toMatch(/^mach-msg: size_over_buffer: .*\(at byte 4\)\n$/);
  });

  it('reports bad hex and bad usage', async () => {
    const hex = await run(['decode', '--abi', 'i386', '0012zz']);
    expect(hex.code).toBe(1);
    expect(hex.err).toMatch(/^mach-msg: bad_hex: "z" is not a hex digit/);
    const odd = await run(['decode', '--abi', 'i386', '001']);
    expect(odd.err).toMatch(/^mach-msg: bad_hex: odd number/);
    const noAbi = await run(['decode', '00']);
    expect(noAbi.code).toBe(2);
    expect(noAbi.err).toMatch(/^mach-msg: usage: required option '--abi <abi>'/);
    const badAbi = await run(['decode', '--abi', 'sparc', '00']);
    expect(badAbi.code).toBe(2);
    expect(badAbi.err).toBe('mach-msg: usage: --abi must be x86_64 or i386, not "sparc"\n');
    const missing = await run(['decode', '--abi', 'i386', '--defs', join(dir, 'nope.defs'), noSenders32.hex]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^mach-msg: read_failed: cannot read /);
  });

  it('encode rejects bad JSON with the path of the bad field', async () => {
    const notJson = await run(['encode'], '{');
    expect(notJson.code).toBe(1);
    expect(notJson.err).toMatch(/^mach-msg: bad_json: stdin is not JSON/);
    const d = JSON.parse((await run(['decode', '--abi', 'i386', noSenders32.hex])).out);
    d.message.items[0].type.size = 'big';
    const badField = await run(['encode'], JSON.stringify(d));
    expect(badField.err).toBe('mach-msg: bad_json: $.message.items[0].type.size: expected an integer in 0..65535 (at $.message.items[0].type.size)\n');
    delete d.abi;
    d.message.items[0].type.size = 32;
    const noAbi = await run(['encode'], JSON.stringify(d));
    expect(noAbi.code).toBe(2);
    expect(noAbi.err).toMatch(/^mach-msg: usage: no ABI/);
    // --abi supplies it; a bare message object works too.
    const bare = await run(['encode', '--abi', 'i386', '--grouped'], JSON.stringify(d.message));
    expect(bare.out.trim()).toBe('00120000 20000000 00000000 0f000000 00000000 46000000 02200110 01000000');
  });

  it('encode reports what the codec rejects', async () => {
    const d = JSON.parse((await run(['decode', '--abi', 'i386', noSenders32.hex])).out);
    d.message.items[0].data = '0100'; // 2 bytes for a 4-byte integer
    const r = await run(['encode'], JSON.stringify(d));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mach-msg: length_mismatch: .*\(at byte \d+\)\n$/);
  });

  it('never prints a stack trace or an internal error for arbitrary hex', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 96 }), fc.constantFrom('i386', 'x86_64'), async (bytes, abi) => {
        const r = await run(['decode', '--abi', abi, Buffer.from(bytes).toString('hex')]);
        expect([0, 1]).toContain(r.code);
        if (r.code === 1) expect(r.err).toMatch(/^mach-msg: [a-z_]+: [^\n]*\n$/);
        else expect(() => JSON.parse(r.out)).not.toThrow();
      }),
      { seed: 0x6d616368, numRuns: 150 },
    );
  });

  it('answers any text given as hex with JSON or a typed error', async () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-fA-F |x\n]{0,120}$/));
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const r = await run(['decode', '--abi', 'x86_64'], t);
        expect([0, 1]).toContain(r.code);
        if (r.code === 1) expect(r.err).toMatch(/^mach-msg: [a-z_]+: [^\n]*\n$/);
      }),
      { seed: 0x686578, numRuns: 200 },
    );
  });
});

describe('mach-msg encode from routine and arguments', () => {
  it('builds memory_object_init from named arguments, byte for byte as MIG does', async () => {
    const json = { abi: 'x86_64', routine: 'memory_object.memory_object_init', args: { memory_control: 0x61, memory_object_name: 0x62, memory_object_page_size: '4096' }, header: { remotePort: 0x60 } };
    const r = await run(['encode'], JSON.stringify(json));
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe(compact(DEMO_VECTORS[2]!.hex));
  });

  it("re-encodes decode's routine and args without its message (a reply with out-of-line arrays)", async () => {
    // mach_port_names' reply as the real MIG server stub sends it (x86_64; test/fixtures/mig).
    const sent =
      '12000080 50000000 3110000000000000 0000000000000000 00000000 e40c0000 | 02200020 01000000 00000000 00000000 | ' +
      '0f200040 05000000 0000002400000000 | 02200040 05000000 0000102400000000';
    const d = JSON.parse((await run(['decode', '--abi', 'x86_64', sent])).out);
    expect(d.args).toEqual({ names: { address: '603979776', count: 5, deallocate: false }, types: { address: '605028352', count: 5, deallocate: false } });
    const { message, ...rest } = d;
    const r = await run(['encode'], JSON.stringify({ ...rest, header: { remotePort: message.header.remotePort } }));
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe(compact(sent));
  });

  it("re-encodes decode's out-of-line polymorphic port array with its disposition", async () => {
    const defs = tmpFile('poly.defs', 'subsystem polyget 5100;\ntype poly = polymorphic;\nroutine pget(server : MACH_MSG_TYPE_COPY_SEND; out ports : ^array[] of poly);\n');
    const ci = compileInterface(readFileSync(defs, 'utf8'), { abi: 'x86_64', file: defs });
    const reply = ci.routine('pget').encodeReply({ ports: { address: 0x24000000n, count: 3, disposition: 20 } }, { header: { remotePort: 0x31 } });
    const hex = Buffer.from(encodeMessage(reply, 'x86_64')).toString('hex');
    const d = JSON.parse((await run(['decode', '--abi', 'x86_64', '--defs', defs, hex])).out);
    expect(d.args).toEqual({ ports: { address: '603979776', count: 3, deallocate: false, disposition: 20 } });
    const { message, ...rest } = d;
    const r = await run(['encode', '--defs', defs], JSON.stringify({ ...rest, header: { remotePort: message.header.remotePort } }));
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe(hex);
    const badDisp = await run(['encode', '--defs', defs], JSON.stringify({ ...rest, args: { ports: { ...d.args.ports, disposition: 'send' } } }));
    expect(badDisp.err).toMatch(/^mach-msg: bad_json: \$\.args\.ports\.disposition: expected a MACH_MSG_TYPE_\* number/);
  });

  it("shows and reads an inline polymorphic port array's disposition, empty ones too (the real MIG's conf_poly_block and conf_poly_arrays vectors)", async () => {
    const defs = join(import.meta.dirname, '..', 'conformance', 'defs', 'conformance.defs');
    const inc = join(import.meta.dirname, '..', 'conformance', 'defs');
    for (const abi of ['i386', 'x86_64'] as const) {
      const fx = loadFixture('conformance', abi);
      // Every inline polymorphic array of the vectors: conf_poly_block's, and the empty one of conf_poly_arrays.
      const inline = fx.vectors.filter((v) => v.routine === 'conf_poly_block' || JSON.stringify(v.args['ports'] ?? null).startsWith('{"names":[]'));
      expect(inline.map((v) => v.name)).toEqual(['conf_poly_block#0', 'conf_poly_block#1', 'conf_poly_block#2', 'conf_poly_block#3', 'conf_poly_block#4', 'conf_poly_arrays#4']);
      for (const v of inline) {
        // As the server received it: the disposition in its received form (PORT_SEND, PORT_SEND_ONCE...).
        const got = JSON.parse((await run(['decode', '--abi', abi, '--defs', defs, '-I', inc, v.rcvd])).out);
        expect(got.args.ports, `${abi} ${v.name} rcvd`).toEqual(v.serverArgs['ports']);
        // As the user stub sent it: decode -> encode of the routine, args and header gives the stub's bytes again.
        const d = JSON.parse((await run(['decode', '--abi', abi, '--defs', defs, '-I', inc, v.send])).out);
        expect(d.args.ports, `${abi} ${v.name} send`).toEqual(v.args['ports']);
        const { message, ...rest } = d;
        const r = await run(['encode', '--defs', defs, '-I', inc], JSON.stringify({ ...rest, header: { remotePort: message.header.remotePort, localPort: message.header.localPort } }));
        expect(r.err).toBe('');
        expect(r.out.trim(), `${abi} ${v.name} send`).toBe(v.send);
      }
    }
    // A non-empty { names, disposition } is the same message as the list of rights.
    const whole = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: { names: [5, 6], disposition: 20 } } }));
    const each = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: [{ name: 5, disposition: 20 }, { name: 6, disposition: 20 }] } }));
    expect(whole.err).toBe('');
    expect(whole.out).toBe(each.out);
    const badName = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: { names: ['5'], disposition: 20 } } }));
    expect(badName.err).toMatch(/^mach-msg: bad_json: \$\.args\.ports\.names\[0\]: expected a port name/);
    const badDisp = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: { names: [], disposition: 'move' } } }));
    expect(badDisp.err).toMatch(/^mach-msg: bad_json: \$\.args\.ports\.disposition: expected a MACH_MSG_TYPE_\* number/);
    const noDisp = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: { names: [] } } }));
    // Without a disposition: the names alone, as a plain list would be (an empty one goes as COPY_SEND).
    const plain = await run(['encode', '--abi', 'x86_64', '--defs', defs, '-I', inc], JSON.stringify({ routine: 'conf_poly_block', args: { server: 17, ports: [] } }));
    expect(noDisp.err).toBe('');
    expect(noDisp.out).toBe(plain.out);
    expect(noDisp.out).toContain('931c00001340006000000000');
  });

  it('uses --defs routines, and builds error replies from retCode', async () => {
    const defs = tmpFile('enc.defs', USER_DEFS);
    const req = await run(['encode', '--abi', 'i386', '--defs', defs], JSON.stringify({ routine: 'demo_ping', args: { value: 21 }, header: { remotePort: 5, localPort: 6 } }));
    expect(req.err).toBe('');
    expect(req.out.trim()).toBe(compact(PING_I386));
    const err = await run(['encode', '--abi', 'i386', '--defs', defs], JSON.stringify({ routine: 'demo.demo_ping', kind: 'reply', retCode: -303 }));
    const back = JSON.parse((await run(['decode', '--abi', 'i386', '--defs', defs, err.out])).out);
    expect(back).toMatchObject({ routine: 'demo.demo_ping', kind: 'reply', retCode: -303, args: {}, size: 32 });
  });

  it('reports unknown routines and arguments, wrong types and missing arguments', async () => {
    const enc = (j: object) => run(['encode', '--abi', 'i386'], JSON.stringify(j));
    expect((await enc({ routine: 'nope' })).err).toBe('mach-msg: bad_json: $.routine: no interface declares nope (add --defs) (at $.routine)\n');
    expect((await enc({ routine: 'mach_notify_no_senders', args: { mscount: 1, extra: 2 } })).err).toMatch(/^mach-msg: bad_json: \$\.args\.extra: no such argument/);
    expect((await enc({ routine: 'mach_notify_no_senders', args: { mscount: 'one' } })).err).toMatch(/^mach-msg: bad_json: \$\.args\.mscount: expected a number/);
    expect((await enc({ routine: 'mach_notify_no_senders', kind: 'reply' })).err).toMatch(/simpleroutine: it has no reply/);
    const noPort = await enc({ routine: 'mach_notify_no_senders', args: { mscount: 1 } });
    expect(noPort.code).toBe(1);
    expect(noPort.err).toBe("mach-msg: MIG_BAD_ARGUMENTS: mach_notify_no_senders: missing request port 'notify'\n");
    const missing = await enc({ routine: 'mach_notify_no_senders', args: { notify: 15 } });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^mach-msg: MIG_BAD_ARGUMENTS: .*mscount/);
  });
});

describe('mach-msg encode on arbitrary input', () => {
  const expectTypedFailureOrHex = (r: Run): void => {
    if (r.code === 0) expect(r.out).toMatch(/^[0-9a-f]+\n$/);
    else expect(r.err).toMatch(/^mach-msg: [A-Za-z_]+: [^\n]*\n$/);
    expect(r.err).not.toMatch(/internal|\n\s+at /);
  };

  it('answers any JSON with hex or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 4 }), async (text) => expectTypedFailureOrHex(await run(['encode', '--abi', 'i386'], text))),
      { seed: 0x656e63, numRuns: 200 },
    );
  });

  it("answers decode's output with one field replaced by any JSON value with hex or a typed error", async () => {
    const base = JSON.parse((await run(['decode', '--abi', 'x86_64', DEMO_VECTORS[2]!.hex])).out);
    const paths: ((m: any, v: unknown) => void)[] = [
      (m, v) => (m.message.header.id = v),
      (m, v) => (m.message.header.bits = v),
      (m, v) => (m.message.header.bits.remote = v),
      (m, v) => (m.message.items[0].type = v),
      (m, v) => (m.message.items[0].type.name = v),
      (m, v) => (m.message.items[0].names = v),
      (m, v) => (m.message.items[2].data = v),
      (m, v) => (m.message.items[1].kind = v),
      (m, v) => (m.message.items = v),
      (m, v) => (m.abi = v),
      (m, v) => { delete m.message; m.args = v; },
      (m, v) => { delete m.message; m.args.memory_control = v; },
      (m, v) => { delete m.message; m.args.memory_object_page_size = v; },
      (m, v) => { delete m.message; m.header = v; },
      (m, v) => { delete m.message; m.kind = v; },
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(paths.length - 1), fc.jsonValue({ maxDepth: 2 }), async (i, v) => {
        const m = structuredClone(base);
        paths[i]!(m, v);
        expectTypedFailureOrHex(await run(['encode'], JSON.stringify(m)));
      }),
      { seed: 0x6d7574, numRuns: 300 },
    );
  });
});

describe('mach-msg layout', () => {
  it('prints a table of request and reply items with offsets', async () => {
    const defs = tmpFile('layout.defs', USER_DEFS);
    const r = await run(['layout', defs, '--abi', 'x86_64']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('subsystem demo 5000  (x86_64, 1 routines)');
    expect(r.out).toContain('routine demo_ping');
    expect(r.out).toMatch(/request 5000: 48 bytes/);
    expect(r.out).toMatch(/reply 5100: 64 bytes/);
    expect(r.out).toMatch(/\n\s+32\s+value\s+INTEGER_32 size 32 ×1 inline\s+8\+8\n/);
  });

  it('prints JSON with --json, and honours -D', async () => {
    const defs = tmpFile('cond.defs', 'subsystem c 100;\n#ifdef WIDE\ntype v = MACH_MSG_TYPE_INTEGER_64;\n#else\ntype v = MACH_MSG_TYPE_INTEGER_32;\n#endif\nsimpleroutine put(p : MACH_MSG_TYPE_COPY_SEND; x : v);\n');
    const narrow = JSON.parse((await run(['layout', defs, '--abi', 'i386', '--json'])).out);
    const wide = JSON.parse((await run(['layout', defs, '--abi', 'i386', '--json', '-D', 'WIDE'])).out);
    expect(narrow.routines[0]).toMatchObject({ name: 'put', id: 100, replyId: null, simple: true });
    expect(narrow.routines[0].request.fixedSize).toBe(32);
    expect(wide.routines[0].request.fixedSize).toBe(36);
    expect(wide.routines[0].request.items[0]).toMatchObject({ name: 'x', typeName: 'v' });
  });

  it('lays out a built-in interface with --builtin', async () => {
    const r = await run(['layout', '--builtin', 'fs', '--abi', 'i386']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('subsystem fs 20000  (i386, 22 routines)');
    expect(r.out).toMatch(/routine dir_lookup .*\n {2}request 20018: 1068 bytes, complex never\n/);
    expect((await run(['layout', '--builtin', 'nope', '--abi', 'i386'])).err).toMatch(/^mach-msg: usage: --builtin must be one of notify, /);
    expect((await run(['layout', '--abi', 'i386'])).code).toBe(2);
  });

  it('reports .defs errors with file, line and column', async () => {
    const defs = tmpFile('bad.defs', 'subsystem bad 1;\nroutine r(p : MACH_MSG_TYPE_COPY_SEND; q : nosuch);\n');
    const r = await run(['layout', defs, '--abi', 'i386']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`mach-msg: MIG_SEMANTIC: type 'nosuch' not defined (at ${defs}:2:44)\n`);
  });
});

describe('mach-msg msgid', () => {
  it('names every meaning of an id, preferred first', async () => {
    const r = await run(['msgid', '21000']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('21000  io.io_write  request  (reply 21100; subsystem io 21000, index 0)');
    expect(r.out).toContain('io_request.io_write_request');
    expect((await run(['msgid', '0106'])).out).toMatch(/^70 {2}notify\.mach_notify_no_senders {2}request/); // octal, as in mach/notify.h
    expect((await run(['msgid', '0x898'])).out).toMatch(/^2200 {2}memory_object\.memory_object_init/);
  });

  it('prints JSON, uses --msgids, and exits 1 for an unknown id', async () => {
    const j = JSON.parse((await run(['msgid', '2140', '--json'])).out);
    expect(j.meanings[0]).toMatchObject({ routine: 'memory_object_get_attributes', kind: 'reply', requestId: 2040 });
    const unknown = await run(['msgid', '7']);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toBe('7  unknown message id\n');
    const ids = tmpFile('seven.msgids', 'x 7 seven 0 7 0\n');
    expect((await run(['msgid', '7', '--msgids', ids])).out).toMatch(/^7 {2}x\.seven {2}request {2}\(simpleroutine, no reply/);
    const bad = tmpFile('bad.msgids', '# header\nx 7 seven 0 8 0\n');
    const r = await run(['msgid', '7', '--msgids', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`mach-msg: msgids_inconsistent: request_id 8 is not base 7 + index 0 (at ${bad}:2)\n`);
    expect((await run(['msgid', 'seven'])).err).toBe('mach-msg: usage: "seven" is not a message id\n');
  });
});

describe('help', () => {
  it.each(
    [['--help'], ['decode', '--help'], ['encode', '--help'], ['layout', '--help'], ['msgid', '--help'], ['demo', '--help']].map((a) => [a.join(' '), a] as const),
  )('`mach-msg %s` prints usage and exits 0', async (_name, argv) => {
    const r = await run([...argv]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: mach-msg/);
  });

  it('no command prints the help on stderr, as a usage error', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Usage: mach-msg/);
  });

  it('an unknown command is a usage error', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mach-msg: usage: unknown command 'frobnicate'/);
  });
});
