/**
 * Whether the command to trace is a Node script this very Node could run
 * in its own process (cli/in-process.ts): `node SCRIPT [args...]`, where
 * `node` is this Node's executable (process.execPath, or a name or path
 * whose basename is `node` and which is the same file), with no Node
 * option before SCRIPT. Anything else (another program, a Node option, no
 * script: the REPL, `-e`, `-` for stdin) runs in a process of its own.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';

/** The script and its arguments, when the command can run in this process. */
export interface NodeScript {
  /** The script's absolute path (process.argv[1] as Node would give it). */
  script: string;
  args: string[];
}

/**
 * `command` as a node script run by the Node at `execPath`, or null.
 * `path`: the PATH a bare `node` is looked up in; `cwd` for relative paths.
 */
export function nodeScriptOf(command: readonly string[], execPath: string, path: string | undefined, cwd: string): NodeScript | null {
  const [cmd, script, ...args] = command;
  if (cmd === undefined || script === undefined) return null;
  // An option (--inspect, -e, -r...) or `-` (stdin): Node's own handling, in a Node of its own.
  if (script.startsWith('-')) return null;
  if (!sameNode(cmd, execPath, path, cwd)) return null;
  return { script: resolve(cwd, script), args };
}

/** Whether `cmd` (as spawn would find it) is the executable `execPath`. */
function sameNode(cmd: string, execPath: string, path: string | undefined, cwd: string): boolean {
  if (cmd === execPath) return true;
  if (basename(cmd) !== 'node') return false;
  const found = cmd.includes('/') ? resolve(cwd, cmd) : onPath(cmd, path, cwd);
  if (found === null) return false;
  try {
    return realpathSync(found) === realpathSync(execPath);
  } catch {
    return false;
  }
}

/** The first executable file `name` in `path`, as execvp looks (empty entries: the working directory). */
function onPath(name: string, path: string | undefined, cwd: string): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    const p = join(dir === '' ? cwd : isAbsolute(dir) ? dir : resolve(cwd, dir), name);
    try {
      const st = statSync(p);
      if (st.isFile() && (st.mode & 0o111) !== 0) return p;
    } catch {
      // Not here: the next directory.
    }
  }
  return null;
}
