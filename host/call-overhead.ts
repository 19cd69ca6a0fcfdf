/**
 * The host's own cost per host call that its clock cannot see: the call boundary and the clock
 * reads at both ends of the timed window. The host adds it to hostNanos for every call, so that
 * callbackNanos - hostNanos is the module's own time and a module that makes host calls is not
 * charged for the JS host's bookkeeping (the empty filter makes none). Calibrated once per
 * process by timing a wrapped no-op the way the host times every import: the time around the
 * wrapper minus the time it records inside, the minimum of several rounds (robust on a loaded
 * machine).
 */
let calibrated: number | null = null;

export function hostCallOverheadNanos(): number {
  if (calibrated !== null) return calibrated;
  let inside = 0;
  const wrapped = (x: number): number => {
    const t0 = process.hrtime.bigint();
    try {
      return x + 1;
    } finally {
      inside += Number(process.hrtime.bigint() - t0);
    }
  };
  const CALLS = 2_000;
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    inside = 0;
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink = wrapped(sink);
    const outside = Number(process.hrtime.bigint() - t0);
    if (sink !== CALLS) throw new Error('calibration loop miscounted');
    best = Math.min(best, Math.max(0, (outside - inside) / CALLS));
  }
  calibrated = best;
  return best;
}
