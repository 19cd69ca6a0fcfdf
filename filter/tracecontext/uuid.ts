// x-request-id generation: RFC 9562 UUID version 4 text from 16 random bytes.
import { CHAR_DASH, hexDigit, putByte } from "./chars";

export const UUID_LENGTH: i32 = 36;

/**
 * Writes bytes[0..16) at `random` as a version-4 UUID (`xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`, V
 * in 8..b) into the UUID_LENGTH bytes at `out`: the version nibble is forced to 4 and the
 * variant bits to 10. The bytes must come from a cryptographic source (WASI random_get in the
 * filter).
 */
export function writeUuidV4(random: usize, out: usize): void {
  let pos = out;
  for (let i = 0; i < 16; i++) {
    let b = <i32>load<u8>(random + <usize>i);
    if (i == 6) b = (b & 0x0f) | 0x40;
    else if (i == 8) b = (b & 0x3f) | 0x80;
    if (i == 4 || i == 6 || i == 8 || i == 10) putByte(pos++, CHAR_DASH);
    putByte(pos++, hexDigit(b >> 4));
    putByte(pos++, hexDigit(b & 15));
  }
}
