// Character-level helpers shared by the trace-context parsers.
// They read the header strings in place (no substring copies) and build
// output strings with exactly one allocation each.

export const CHAR_DASH: i32 = 0x2d; // -
export const CHAR_COMMA: i32 = 0x2c; // ,
export const CHAR_EQUALS: i32 = 0x3d; // =
export const CHAR_SPACE: i32 = 0x20;
export const CHAR_TAB: i32 = 0x09;
export const CHAR_ZERO: i32 = 0x30; // 0

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

/** Optional whitespace of RFC 7230 (space or horizontal tab). */
// @ts-ignore: decorator
@inline export function isOws(c: i32): bool {
  return c == CHAR_SPACE || c == CHAR_TAB;
}

/** Reads the UTF-16 code unit at i; the caller guarantees 0 <= i < s.length. */
// @ts-ignore: decorator
@inline export function charAt(s: string, i: i32): i32 {
  return <i32>load<u16>(changetype<usize>(s) + (<usize>i << 1));
}

/** True when s[off, off+len) is all lower-case hex. */
export function isLowerHexRange(s: string, off: i32, len: i32): bool {
  if (off < 0 || len < 0 || off + len > s.length) return false;
  for (let i = 0; i < len; i++) {
    if (!isLowerHex(charAt(s, off + i))) return false;
  }
  return true;
}

/** True when s[off, off+len) is all '0' (an ID of all zero bytes, invalid everywhere). */
export function isZeroRange(s: string, off: i32, len: i32): bool {
  for (let i = 0; i < len; i++) {
    if (charAt(s, off + i) != CHAR_ZERO) return false;
  }
  return true;
}

/** True when a[aOff, aOff+len) equals b[bOff, bOff+len); both ranges must be in bounds. */
export function rangeEquals(a: string, aOff: i32, b: string, bOff: i32, len: i32): bool {
  return memory.compare(
    changetype<usize>(a) + (<usize>aOff << 1),
    changetype<usize>(b) + (<usize>bOff << 1),
    <usize>len << 1,
  ) == 0;
}

/** Allocates an uninitialised string of len UTF-16 units: the one allocation a rendered header needs. */
export function allocString(len: i32): string {
  return changetype<string>(__new(<usize>len << 1, idof<string>()));
}

/** Writes a code unit into a string obtained from allocString. */
// @ts-ignore: decorator
@inline export function putChar(s: string, i: i32, c: i32): void {
  store<u16>(changetype<usize>(s) + (<usize>i << 1), <u16>c);
}

/** Copies len code units from src[srcOff..] into dst[dstOff..] (dst from allocString). */
export function copyChars(dst: string, dstOff: i32, src: string, srcOff: i32, len: i32): void {
  memory.copy(
    changetype<usize>(dst) + (<usize>dstOff << 1),
    changetype<usize>(src) + (<usize>srcOff << 1),
    <usize>len << 1,
  );
}
