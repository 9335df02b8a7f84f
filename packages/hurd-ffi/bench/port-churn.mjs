// Port churn on the sim backend: one task allocates and destroys N receive
// rights (each death runs portDestroy and the kernel's portDeathHook).
//   node bench/port-churn.mjs [dist/index.js] [N]   (under callgrind for instruction counts)
const [, , dist = new URL('../dist/index.js', import.meta.url).href, nStr = '20000'] = process.argv;
const { openKernel, VirtualClock } = await import(dist);
const n = Number(nStr);
const k = openKernel({ abi: 'x86_64', clock: new VirtualClock() });
const t = await k.taskCreate({ name: 'churn' });
for (let i = 0; i < n; i++) {
  const r = await k.portAllocate(t, 1 /* MACH_PORT_RIGHT_RECEIVE */);
  await k.portDestroy(t, r.name);
}
await k.close();
