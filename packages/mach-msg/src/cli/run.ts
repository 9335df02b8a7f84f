import { Command, CommanderError, Option } from 'commander';
import { CliError } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { EXIT_DATA, EXIT_OK, EXIT_USAGE, formatError } from './report.js';
import { loadCatalog, parseAbi, readFileOrFail } from './context.js';
import { msgidCommand } from './msgid-command.js';
import { decodeCommand, encodeCommand } from './codec-commands.js';
import { layoutCommand } from './layout-command.js';
import { demoCommand } from './demo-command.js';
import { BUILTIN_INTERFACE_NAMES, builtinInterfaceSource } from '../interfaces/sources.js';

/** Repeatable options collect into a list (no default, so help shows none). */
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function abiOption(required: boolean): Option {
  const o = new Option('--abi <abi>', 'message layout: x86_64 or i386');
  return required ? o.makeOptionMandatory() : o;
}

/**
 * Runs the `mach-msg` command line with `argv` (the arguments after the
 * program name) against `io`, and returns the exit code: 0 on success, 1 on
 * bad input data, 2 on bad usage. Errors are printed to `io.stderr` as
 * `mach-msg: <code>: <message> (at <where>)`, never as a stack trace.
 */
export async function runCli(argv: readonly string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = { ...processIo, ...ioIn };
  let exit = EXIT_OK;
  const program = new Command('mach-msg')
    .description('Decode, encode and explain GNU Mach typed messages (i386 and x86_64)')
    .exitOverride()
    .showHelpAfterError('(run mach-msg <command> --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`mach-msg: usage: ${s.replace(/^error: /, '')}`),
    });

  program
    .command('decode')
    .description('decode a message given in hex (arguments, or stdin) and print it as JSON')
    .argument('[hex...]', 'message bytes in hex; blanks and | are ignored; none: read stdin')
    .addOption(abiOption(true))
    .option('--defs <file>', 'also name routines of this .defs file (repeatable)', collect)
    .option('-I, --include <dir>', 'search path for #include in --defs files (repeatable)', collect)
    .option('-D, --define <name[=val]>', 'preprocessor definition for --defs files (repeatable)', collect)
    .option('--msgids <file>', 'extra .msgids table, as rpctrace reads (repeatable)', collect)
    .option('--allow-trailing', 'accept bytes after msgh_size (a receive buffer)')
    .action(async (hex: string[], o: { abi: string; defs?: string[]; include?: string[]; define?: string[]; msgids?: string[]; allowTrailing?: boolean }) => {
      const text = hex.length > 0 ? hex.join(' ') : await io.readStdin();
      const out = decodeCommand(io, text, {
        abi: parseAbi(o.abi),
        catalog: loadCatalog(io, o.msgids ?? []),
        defs: o.defs ?? [],
        includes: o.include ?? [],
        defines: o.define ?? [],
        allowTrailing: o.allowTrailing === true,
      });
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    });

  program
    .command('encode')
    .description("read decode's JSON on stdin (its message, or routine + args) and print the message in hex")
    .addOption(abiOption(false).default(undefined, "the JSON's abi"))
    .option('--grouped', 'print the hex in 4-byte groups')
    .option('--defs <file>', 'routines for JSON given as routine + args (repeatable)', collect)
    .option('-I, --include <dir>', 'search path for #include in --defs files (repeatable)', collect)
    .option('-D, --define <name[=val]>', 'preprocessor definition for --defs files (repeatable)', collect)
    .action(async (o: { abi?: string; grouped?: boolean; defs?: string[]; include?: string[]; define?: string[] }) => {
      const out = encodeCommand(io, await io.readStdin(), {
        abi: o.abi === undefined ? undefined : parseAbi(o.abi),
        grouped: o.grouped === true,
        defs: o.defs ?? [],
        includes: o.include ?? [],
        defines: o.define ?? [],
      });
      io.stdout(`${out}\n`);
    });

  program
    .command('layout')
    .description("print each routine's request and reply layout, as MIG lays them out")
    .argument('[file]', 'a .defs file')
    .addOption(abiOption(true))
    .option('--builtin <name>', `a built-in interface instead of a file: ${BUILTIN_INTERFACE_NAMES.join(', ')}`)
    .option('-I, --include <dir>', 'search path for #include (repeatable)', collect)
    .option('-D, --define <name[=val]>', 'preprocessor definition (repeatable)', collect)
    .option('--json', 'print JSON instead of a table')
    .action((file: string | undefined, o: { abi: string; builtin?: string; include?: string[]; define?: string[]; json?: boolean }) => {
      let name: string;
      let source: string;
      if (o.builtin !== undefined) {
        if (file !== undefined) throw new CliError('usage', 'give a .defs file or --builtin, not both');
        const text = builtinInterfaceSource(o.builtin);
        if (text === undefined) throw new CliError('usage', `--builtin must be one of ${BUILTIN_INTERFACE_NAMES.join(', ')}`);
        name = `<builtin ${o.builtin}.defs>`;
        source = text;
      } else {
        if (file === undefined) throw new CliError('usage', 'give a .defs file or --builtin NAME');
        name = file;
        source = readFileOrFail(io, file);
      }
      io.stdout(
        layoutCommand(name, source, {
          abi: parseAbi(o.abi),
          includes: o.include ?? [],
          defines: o.define ?? [],
          json: o.json === true,
        }),
      );
    });

  program
    .command('msgid')
    .description('say which routine a message id belongs to')
    .argument('<id>', 'message id: decimal, 0x hex, or 0-prefixed octal')
    .option('--msgids <file>', 'extra .msgids table (repeatable)', collect)
    .option('--json', 'print JSON')
    .action((id: string, o: { msgids?: string[]; json?: boolean }) => {
      const r = msgidCommand(id, loadCatalog(io, o.msgids ?? []), o.json === true);
      io.stdout(r.out);
      if (!r.found) exit = EXIT_DATA;
    });

  program
    .command('demo')
    .description('decode real GNU Mach messages, re-encode them and check the bytes are identical')
    .action(() => {
      const r = demoCommand();
      io.stdout(r.out);
      if (!r.ok) exit = EXIT_DATA;
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Under exitOverride, --help is an "error" too; commander has printed
      // the help or the message already. No command at all prints the help
      // to stderr with a non-zero exitCode: a usage error.
      return e.code === 'commander.helpDisplayed' || e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const { line, exit: code } = formatError(e);
    io.stderr(`${line}\n`);
    return code;
  }
}

