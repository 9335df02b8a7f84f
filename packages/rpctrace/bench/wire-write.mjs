// The tap's record writing alone (wire.ts's writeRecord, through the
// public writeWireEvent): a storm's two shapes of record (a 32-byte request
// with a reply port, a 64-byte reply), 400,000 records (100,000 null RPCs'
// worth) into 256 KiB batches; CPU ns per record, best of 5 passes.
// Usage: node bench/wire-write.mjs [ROOT...]   (ROOT: a package root whose dist/index.js to load; default this one)
const roots = process.argv.length > 2 ? process.argv.slice(2) : [new URL('..', import.meta.url).pathname];
const N = 400000;
const msg = new Uint8Array(64).map((_v, i) => i);
const request = { direction: 'send', task: 3, port: 7, msgId: 21045, bytes: msg.subarray(0, 32), abi: 'x86_64', time: 1.7e12, replyPort: 9 };
const reply = { direction: 'send', task: 2, port: 9, msgId: 21145, bytes: msg, abi: 'x86_64', time: 1.7e12 };
for (const root of roots) {
  const { writeWireEvent, wireEventSize } = await import(`${root}/dist/index.js`);
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    let buf = new Uint8Array(256 * 1024);
    let used = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const ev = i & 1 ? reply : request;
      const size = wireEventSize(ev);
      if (used + size > buf.length) {
        buf = new Uint8Array(256 * 1024);
        used = 0;
      }
      used = writeWireEvent(1, ev, buf, used);
    }
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / N);
  }
  console.log(`${best.toFixed(0)} ns/record  ${root}`);
}
