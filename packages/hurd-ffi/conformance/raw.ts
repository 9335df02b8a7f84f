/**
 * Raw step results, the same shape for every backend: the serial log of the
 * real kernel parses into it (parseSerialLog), and the simulated run builds
 * it directly (sim-exec.ts). Names and addresses are still the backend's own.
 */
export interface RawStep {
  step: number;
  /** null when the backend does not support the step. */
  kr: number | null;
  vals: number[];
  /** mach_port_names entries (name, type), interpreter's own names removed. */
  names?: Array<[number, number]>;
  /** The message buffer after mach_msg, when the call changed it (hex). */
  msg?: string;
  /** Out-of-line regions of the received message (item index, hex bytes). */
  ool?: Array<{ item: number; hex: string }>;
  /** The backend threw instead of returning a code (a bug in a simulated backend). */
  error?: string;
}

export interface RawScenario {
  steps: RawStep[];
}

/**
 * Parses the interpreter's console output (c/interp.c's line format) into one
 * RawScenario per scenario index. Lines that are not ours (kernel messages)
 * are ignored. Throws when the log does not end with DONE.
 */
export function parseSerialLog(log: string): { scenarios: Map<number, RawScenario>; done: boolean; corrupt: number[] } {
  const scenarios = new Map<number, RawScenario>();
  const corrupt: number[] = [];
  let cur: RawScenario | undefined;
  let curIndex = -1;
  let counted = 0;
  let done = false;
  const stepOf = (sc: RawScenario, n: number): RawStep => {
    let s = sc.steps.find((x) => x.step === n);
    if (s === undefined) {
      s = { step: n, kr: null, vals: [] };
      sc.steps.push(s);
    }
    return s;
  };
  for (const rawLine of log.split('\n')) {
    const line = rawLine.replace(/\r/g, '').trim();
    if (line === 'DONE') {
      done = true;
      continue;
    }
    const parts = line.split(' ');
    const tag = parts[0];
    const nums = parts.slice(1).map((p) => parseInt(p, 16));
    if (tag === 'S' && nums.length === 1 && !Number.isNaN(nums[0])) {
      cur = { steps: [] };
      curIndex = nums[0] as number;
      counted = 0;
      scenarios.set(curIndex, cur);
      continue;
    }
    if (cur === undefined) continue;
    if (tag === 'E') {
      // The interpreter counts the bytes it printed for the scenario; a
      // mismatch means the console lost or mangled something.
      if (nums[1] !== undefined && nums[1] !== counted) corrupt.push(curIndex);
      cur = undefined;
      continue;
    }
    if (tag === 'R' || tag === 'N' || tag === 'M' || tag === 'O' || tag === '#') counted += line.length + 1;
    if (tag !== 'R' && tag !== 'N' && tag !== 'M' && tag !== 'O') continue;
    if (!parts.slice(1, tag === 'M' || tag === 'O' ? 2 : undefined).every((p) => /^[0-9a-f]+$/.test(p) || p === 'unsupported')) continue;
    const stepNo = nums[0];
    if (stepNo === undefined || Number.isNaN(stepNo)) continue;
    const st = stepOf(cur, stepNo);
    if (tag === 'R') {
      if (parts[2] === 'unsupported') st.kr = null;
      else {
        st.kr = (nums[1] ?? 0) >>> 0;
        st.vals = nums.slice(2).map((v) => v >>> 0);
      }
    } else if (tag === 'N') {
      (st.names ??= []).push([(nums[1] ?? 0) >>> 0, (nums[2] ?? 0) >>> 0]);
    } else if (tag === 'M') {
      st.msg = parts[2] ?? '';
    } else if (tag === 'O') {
      (st.ool ??= []).push({ item: nums[1] ?? 0, hex: parts[3] ?? '' });
    }
  }
  return { scenarios, done, corrupt };
}
