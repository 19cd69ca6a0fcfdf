/**
 * The host's own cost per host call that its clock cannot see: the wasm→JS call boundary and
 * the clock reads at both ends of the timed window. The host adds it to hostNanos for every
 * call, so that callbackNanos - hostNanos is the module's own time, and a module that makes host
 * calls is not charged for the JS host's bookkeeping (the empty filter makes none; Envoy's host
 * calls are counted separately, as host calls).
 *
 * Calibrated once per process the way it arises: a minimal wasm module calls an imported no-op,
 * wrapped and timed as the host wraps every import, in a loop; the time around the loop minus
 * the time the wrapper recorded inside, per call — the minimum of several rounds (steady on a
 * loaded machine).
 */
import { WA, type WasmModule } from './wasm-api.js';

// (module (import "env" "f" (func (param i32) (result i32)))
//   (func (export "run") (param $n i32) (result i32) (local $acc i32)
//     (loop (local.set $acc (call 0 (local.get $acc)))
//           (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
//     (local.get $acc)))
const CALL_LOOP = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01,
  0x0a, 0x1a, 0x01, 0x18, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x01, 0x10, 0x00, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01,
  0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b,
]);

let calibrated: number | null = null;

export function hostCallOverheadNanos(): number {
  if (calibrated !== null) return calibrated;
  let inside = 0;
  const calls: Record<string, number> = {};
  const wrapped = (x: number): number => {
    const t0 = process.hrtime.bigint();
    calls.f = (calls.f ?? 0) + 1;
    try {
      return x + 1;
    } finally {
      inside += Number(process.hrtime.bigint() - t0);
    }
  };
  const instance = new WA.Instance(new WA.Module(CALL_LOOP) as WasmModule, { env: { f: wrapped } });
  const run = instance.exports.run as (n: number) => number;
  const CALLS = 2_000;
  run(CALLS); // compile and warm up
  let best = Infinity;
  for (let round = 0; round < 9; round++) {
    inside = 0;
    const t0 = process.hrtime.bigint();
    const result = run(CALLS);
    const around = Number(process.hrtime.bigint() - t0);
    if (result !== CALLS) throw new Error('host-call calibration: the loop miscounted');
    best = Math.min(best, Math.max(0, (around - inside) / CALLS));
  }
  calibrated = best;
  return best;
}
