// Randomness from WASI random_get (Envoy implements it; Math.random would import env.seed,
// which Envoy does not provide).
import { wasi_random_get } from "./imports";

const RANDOM_SCRATCH: usize = memory.data(8, 8);

/** Fills `len` bytes at `ptr` with random bytes; returns false if the host refused. */
export function fillRandom(ptr: usize, len: usize): bool {
  return wasi_random_get(ptr, len) == 0;
}

/** `n` random bytes, or null if the host refused. */
export function randomBytes(n: i32): ArrayBuffer | null {
  const buf = new ArrayBuffer(n);
  if (n > 0 && !fillRandom(changetype<usize>(buf), <usize>n)) return null;
  return buf;
}

/** A random 64-bit value (0 if the host refused, which Envoy never does). */
export function randomU64(): u64 {
  store<u64>(RANDOM_SCRATCH, 0);
  fillRandom(RANDOM_SCRATCH, 8);
  return load<u64>(RANDOM_SCRATCH);
}
