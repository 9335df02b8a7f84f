// The client side of bench/link-tree.mjs, as its own process: connects to a
// netmsg-server node (or whatever sits in front of it) with netmsg-server's
// connect(), copies the exported directory TREE out to LOCAL (readdir, then
// one client.read per file, written locally: what netmsg-server's own bench
// does for its tree case), then checks the copy is byte-exact against the
// exported original SOURCE (outside the timed part). Prints the copy's ms,
// its own CPU ms and the number of files.
// Usage: node bench/link-tree-app.mjs PORT SECRET_FILE TREE LOCAL SOURCE
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'netmsg-server';

const [port, secretFile, tree, local, source] = process.argv.slice(2);
const client = await connect(`127.0.0.1:${port}`, { secretFile, timeoutMs: 600_000 });

async function copyOut(from, to) {
  mkdirSync(to, { recursive: true });
  let n = 0;
  for (const e of await client.readdir(from)) {
    const src = `${from}/${e.name}`;
    if (e.type === 4) n += await copyOut(src, join(to, e.name));
    else {
      writeFileSync(join(to, e.name), await client.read(src));
      n++;
    }
  }
  return n;
}

/** Throws unless `copy` holds exactly the files and bytes of `orig`. */
function same(orig, copy) {
  const names = readdirSync(orig).sort();
  const got = readdirSync(copy).sort();
  if (names.join('/') !== got.join('/')) throw new Error(`${copy}: entries differ from ${orig}`);
  let n = 0;
  for (const name of names) {
    const o = join(orig, name);
    if (statSync(o).isDirectory()) n += same(o, join(copy, name));
    else {
      if (!readFileSync(o).equals(readFileSync(join(copy, name)))) throw new Error(`${join(copy, name)}: bytes differ`);
      n++;
    }
  }
  return n;
}

const t0 = performance.now();
const c0 = process.cpuUsage();
const n = await copyOut(tree, local);
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
await client.close('bench done');
const checked = same(source, local);
if (checked !== n) throw new Error(`copied ${n} files, ${checked} in the original`);
process.stdout.write(`${ms.toFixed(1)} ${((c.user + c.system) / 1000).toFixed(1)} ${n}\n`);
