/**
 * Node module customization hooks (module.register, run off the main
 * thread). hurd-ffi offers no registry hook that openKernel consults, and an
 * ES module's exports cannot be reassigned from outside, so the import of
 * 'hurd-ffi' is resolved to a generated wrapper module instead: it re-exports
 * everything of the real hurd-ffi and replaces openKernel by one that hands
 * each new kernel to the tap (and, with --kernel, the options the tap forces:
 * tapKernelOptions). Only ESM imports are wrapped (not require()).
 */
export interface HookData {
  tapUrl: string;
}

const WRAP = 'hurd-rpctrace:wrap?';
let tapUrl = '';

export function initialize(data: HookData): void {
  tapUrl = data.tapUrl;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>;
type Loaded = { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type NextLoad = (url: string, context: unknown) => Promise<Loaded>;

export async function resolve(specifier: string, context: { parentURL?: string }, next: NextResolve): Promise<Resolved> {
  if (specifier === 'hurd-ffi' && !(context.parentURL ?? '').startsWith(WRAP) && !(context.parentURL ?? '').startsWith(tapBase())) {
    const real = await next(specifier, context);
    // Only the ESM build is wrapped; a require() gets the real module.
    if (real.format === 'commonjs') return real;
    return { url: WRAP + encodeURIComponent(real.url), format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url: string, context: unknown, next: NextLoad): Promise<Loaded> {
  if (url.startsWith(WRAP)) {
    const real = JSON.stringify(decodeURIComponent(url.slice(WRAP.length)));
    const tap = JSON.stringify(tapUrl);
    const source =
      `export * from ${real};\n` +
      `import { openKernel as realOpenKernel } from ${real};\n` +
      `import { tapKernel, tapKernelOptions } from ${tap};\n` +
      `export function openKernel(options) { return tapKernel(realOpenKernel(tapKernelOptions(options))); }\n`;
    return { format: 'module', source, shortCircuit: true };
  }
  return next(url, context);
}

/** The directory of our own dist: the tap imports the real hurd-ffi, unwrapped. */
function tapBase(): string {
  return tapUrl.slice(0, tapUrl.lastIndexOf('/') + 1);
}
