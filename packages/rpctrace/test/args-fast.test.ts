/**
 * The command line's own scanner (args.ts fastOpts) reads what commander
 * reads: for every command line it takes, the raw options and the command
 * are commander's, so the options, the errors after and the program run are
 * the same; the lines it leaves (help, bundled flags, --x=v, ...) go to
 * commander, which then loads.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { commanderOpts, fastOpts, normalize, parseArgs } from '../src/cli/args.js';

/** Words command lines are made of: our options, values, things that look like options, the command's words. */
const WORDS = [
  '-c', '--summary-only', '-T', '--syscall-times', '-t', '-tt', '-ttt', '-r', '--relative-timestamps', '-ff', '--json', '-y', '--decode-ports',
  '-f', '--follow-forks', '-e', '--expr', '-o', '--output', '-s', '--string-limit', '-I', '--include', '--defs', '-i', '--rpc-list', '--pcap',
  '--kernel', '--abi', '-p', '--listen', '--connect', '--secret-file', '-h', '--help', '-cT', '-o=x', '--output=x', '--bogus', '-', '--', '',
  'trace=%io', 'status=failed', '20', 'x', 'out.txt', 'sim', 'gnumach', 'i386', 'node', 'app.js', '123',
];

/** What parseArgs gives, or the error it throws, as plain data. */
function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (e) {
    return { error: e instanceof Error ? `${(e as { code?: string }).code}: ${e.message}` : String(e) };
  }
}

describe('fastOpts', () => {
  test('takes the usual command lines, as commander reads them', () => {
    for (const argv of [
      ['-c', '--', 'node', 'app.js'],
      ['-c', '-o', 'out.txt', '--', process.execPath, 'app.js', '100000'],
      ['-e', 'trace=%io', '-e', 'status=failed', '-T', '-tt', '-s', '20', '-o', 'out.txt', '--', 'node', 'app.js', '-t'],
      ['-r', '-c', 'node', 'x'],
      ['-ttt', 'node', 'x'],
      ['-f', '-o', 'x', '--kernel', 'sim', '--abi', 'i386', 'node', 'x', 'y'],
      ['--defs', 'a.defs', '-I', 'dir', '-i', 'a.msgids', '--pcap', 'p', 'node'],
      ['-c', '--'],
      [],
    ]) {
      const normal = normalize(argv);
      const fast = fastOpts(normal);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(commanderOpts(normal));
    }
  });

  test('leaves the rest to commander', () => {
    for (const argv of [['--help'], ['-h'], ['-cT', 'node'], ['-o=x', 'node'], ['--bogus', 'node'], ['-o', 'a', '-o', 'b', 'node'], ['-o', '-c', 'node'], ['node', 'x', '-c'], ['-p', '12'], ['--listen', 'h:1', '--connect', 'h:2'], ['-s']]) {
      expect(fastOpts(normalize(argv))).toBeNull();
    }
    const help = parseArgs(['--help']);
    expect('help' in help && help.help).toMatch(/-c, --summary-only/);
  });

  test('any command line it takes, commander reads the same', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 10 }), (argv) => {
        const normal = normalize(argv);
        const fast = fastOpts(normal);
        if (fast === null) return;
        taken++;
        // The same raw options: checkOptions, a function of them alone, then gives the same options or error.
        expect(outcome(() => commanderOpts(normal))).toEqual({ ok: fast });
      }),
      { numRuns: 3000, seed: 0x0a26 },
    );
    // The words make lines both ways: the property was exercised.
    expect(taken).toBeGreaterThan(300);
  });
});
