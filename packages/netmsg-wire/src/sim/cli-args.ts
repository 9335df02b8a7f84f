/**
 * The simulator's command lines (simulate.ts, shrink.ts): `--name N`
 * integer options and `--name` flags. A bad value ends the process with
 * status 2 and names the option, as a usage error should.
 */
export function intArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);
