// The key healing files a request under: its x-request-id with the trace decision taken out.
//
// Envoy's default request-ID extension (source/extensions/request_id/uuid) writes a UUID and
// packs its trace decision into the version nibble, string index 14: `9` sampled, `a` forced,
// `b` client-forced, `4` otherwise. The same request therefore carries IDs that differ in that one
// character (the inbound proxy may see `…-4…`, the outbound `…-9…`); the key ignores it.

export const REQUEST_ID_LENGTH: i32 = 36;
/** Bytes of a key: the UUID's 16 bytes with the version nibble zeroed. */
export const KEY_LENGTH: i32 = 16;

// Hex digit values by byte (either case); 0xff for any other byte.
const HEX_VALUES: usize = memory.data(256);
for (let c = 0; c < 256; c++) {
  let v = 0xff;
  if (c >= 0x30 && c <= 0x39) v = c - 0x30;
  else if (c >= 0x61 && c <= 0x66) v = c - 0x61 + 10;
  else if (c >= 0x41 && c <= 0x46) v = c - 0x41 + 10;
  store<u8>(HEX_VALUES + <usize>c, <u8>v);
}

// Two hex digits at p as a byte, or a value > 0xff when either is not hex.
// @ts-ignore: decorator
@inline function hexByte(p: usize): u32 {
  const hi = <u32>load<u8>(HEX_VALUES + <usize>load<u8>(p));
  const lo = <u32>load<u8>(HEX_VALUES + <usize>load<u8>(p, 1));
  return (hi << 4) | lo | ((hi | lo) & 0xf0) << 8;
}

/**
 * Writes the KEY_LENGTH-byte key of the n-byte x-request-id at p into out, and returns true; or
 * returns false when the ID is not a UUID (8-4-4-4-12 hex digits, either case): such IDs are
 * never remembered or looked up.
 */
export function requestIdKey(p: usize, n: i32, out: usize): bool {
  if (n != REQUEST_ID_LENGTH) return false;
  if (load<u8>(p, 8) != 0x2d || load<u8>(p, 13) != 0x2d || load<u8>(p, 18) != 0x2d || load<u8>(p, 23) != 0x2d) return false;
  // the 16 bytes are the digit pairs at these offsets (the dashes skipped)
  let bad: u32 = 0;
  for (let i = 0; i < 4; i++) { const b = hexByte(p + <usize>(i << 1)); bad |= b; store<u8>(out + <usize>i, <u8>b); }
  for (let i = 0; i < 2; i++) { const b = hexByte(p + 9 + <usize>(i << 1)); bad |= b; store<u8>(out + 4 + <usize>i, <u8>b); }
  // the version nibble, string index 14, is Envoy's trace decision, not part of the identity
  let b = hexByte(p + 14);
  bad |= b;
  store<u8>(out + 6, <u8>(b & 0x0f));
  b = hexByte(p + 16); bad |= b; store<u8>(out + 7, <u8>b);
  for (let i = 0; i < 2; i++) { const v = hexByte(p + 19 + <usize>(i << 1)); bad |= v; store<u8>(out + 8 + <usize>i, <u8>v); }
  for (let i = 0; i < 6; i++) { const v = hexByte(p + 24 + <usize>(i << 1)); bad |= v; store<u8>(out + 10 + <usize>i, <u8>v); }
  return bad <= 0xff;
}

/** The shared-data slot of a key: its two halves mixed (MurmurHash3's fmix64), modulo the number of slots. */
export function slotOf(key: usize, slots: u32): u32 {
  let x = load<u64>(key) ^ (load<u64>(key, 8) * 0x9e3779b97f4a7c15);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return <u32>(x % <u64>slots);
}
