// x-request-id generation: RFC 9562 UUID version 4 text from 16 random bytes.
import { allocString, hexDigit, putChar } from "./chars";

export const UUID_LENGTH: i32 = 36;

/**
 * Formats bytes[0..16) as a version-4 UUID (`xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`, V in 8..b):
 * the version nibble is forced to 4 and the variant bits to 10. The bytes must come from a
 * cryptographic source (WASI random_get in the filter). Returns "" when fewer than 16 bytes are
 * given. One allocation (the 36-char string).
 */
export function formatUuidV4(bytes: StaticArray<u8>): string {
  if (bytes.length < 16) return "";
  const s = allocString(UUID_LENGTH);
  let pos = 0;
  for (let i = 0; i < 16; i++) {
    let b = <i32>unchecked(bytes[i]);
    if (i == 6) b = (b & 0x0f) | 0x40;
    else if (i == 8) b = (b & 0x3f) | 0x80;
    if (i == 4 || i == 6 || i == 8 || i == 10) putChar(s, pos++, 0x2d);
    putChar(s, pos++, hexDigit(b >> 4));
    putChar(s, pos++, hexDigit(b & 15));
  }
  return s;
}
