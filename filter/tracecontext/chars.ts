// Byte-level helpers shared by the trace-context parsers and renderers. Header values are read
// where they lie in linear memory (the host's header block) and rendered into a ByteBuffer:
// nothing is decoded to a string, nothing managed is allocated.

export const CHAR_DASH: i32 = 0x2d; // -
export const CHAR_COMMA: i32 = 0x2c; // ,
export const CHAR_EQUALS: i32 = 0x3d; // =
export const CHAR_AT: i32 = 0x40; // @
export const CHAR_SPACE: i32 = 0x20;
export const CHAR_TAB: i32 = 0x09;
export const CHAR_ZERO: i32 = 0x30; // 0

/** The byte at p. */
// @ts-ignore: decorator
@inline export function byteAt(p: usize): i32 {
  return <i32>load<u8>(p);
}

/** Lower-case hex digit: the only hex the W3C and B3 specifications allow. */
// @ts-ignore: decorator
@inline export function isLowerHex(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/** Value of a lower-case hex digit (caller has checked it with isLowerHex). */
// @ts-ignore: decorator
@inline export function hexValue(c: i32): i32 {
  return c <= 0x39 ? c - 0x30 : c - 0x61 + 10;
}

/** Lower-case hex digit for a nibble 0..15. */
// @ts-ignore: decorator
@inline export function hexDigit(n: i32): i32 {
  return n < 10 ? 0x30 + n : 0x61 + n - 10;
}

/** Optional whitespace of RFC 9110 (space or horizontal tab). */
// @ts-ignore: decorator
@inline export function isOws(c: i32): bool {
  return c == CHAR_SPACE || c == CHAR_TAB;
}

/** True when the len bytes at p are all lower-case hex. */
export function isLowerHexRange(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    if (!isLowerHex(byteAt(p + <usize>i))) return false;
  }
  return true;
}

/** True when the len bytes at p are all '0' (an ID of all zero bytes, invalid everywhere). */
export function isZeroRange(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    if (byteAt(p + <usize>i) != CHAR_ZERO) return false;
  }
  return true;
}

/** True when the len bytes at a and at b are equal. */
// @ts-ignore: decorator
@inline export function rangeEquals(a: usize, b: usize, len: i32): bool {
  return memory.compare(a, b, <usize>len) == 0;
}

/** True when the len bytes at p spell `text` (ASCII, compared exactly). */
export function bytesAre(p: usize, len: i32, text: string): bool {
  if (len != text.length) return false;
  for (let i = 0; i < len; i++) {
    if (byteAt(p + <usize>i) != <i32>text.charCodeAt(i)) return false;
  }
  return true;
}

/** True when the len bytes at p spell `lower` in any ASCII case (`lower` is lower-case). */
export function bytesAreIgnoringCase(p: usize, len: i32, lower: string): bool {
  if (len != lower.length) return false;
  for (let i = 0; i < len; i++) {
    const c = byteAt(p + <usize>i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) != <i32>lower.charCodeAt(i)) return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline export function putByte(p: usize, c: i32): void {
  store<u8>(p, <u8>c);
}

// @ts-ignore: decorator
@inline export function copyBytes(dst: usize, src: usize, len: i32): void {
  memory.copy(dst, src, <usize>len);
}
