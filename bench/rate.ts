/**
 * Rates for the in-process micro-benchmarks (receivers-decode, xray-translate): items per second
 * of a function over a fixed window, and the medians / formatting they print.
 */

/** Items per second of `fn` (which handles `itemsPerCall` items, e.g. spans) over one window of `ms` milliseconds. */
export function rateOnce(fn: () => unknown, ms: number, itemsPerCall: number): number {
  let calls = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    fn();
    calls++;
    // Reading the clock costs as much as a small call: every 4th call is precise enough.
    if ((calls & 3) === 0) now = process.hrtime.bigint();
  }
  now = process.hrtime.bigint();
  return (calls * itemsPerCall) / (Number(now - start) / 1e9);
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
