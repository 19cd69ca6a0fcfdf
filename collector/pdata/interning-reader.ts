/**
 * A protobufjs reader for the OTLP decoder that returns short ASCII strings from a small cache.
 *
 * Why: protobufjs builds strings under 64 bytes by concatenating 8-character pieces, so every
 * attribute key and most values arrive as V8 cons-strings ("ropes") of freshly allocated pieces.
 * Every later use pays for that again: the encoder's per-character loop, hashing for Map
 * lookups, JSON.stringify — each flattens or walks the rope. Attribute keys, service names, span
 * names and many values repeat from span to span, so a cache indexed by a hash of the bytes
 * returns one flat string instance for each (fewer allocations too). Measured on 100-span
 * Envoy-shaped requests: decode+encode −20%, decode+X-Ray translation −18%.
 *
 * Semantics are protobufjs' own: proto3 strings are verified UTF-8 (its `stringVerify`, with
 * the same fatal TextDecoder for anything not ASCII, so the same error), and out-of-range lengths
 * throw the same RangeError. Only strings made of bytes < 0x80 take the fast path, where
 * latin1 and UTF-8 decoding agree. The cache is a fixed array (bounded memory); a collision
 * simply replaces the entry.
 */
import protobuf from 'protobufjs';

const CACHE_SIZE = 4096; // power of two
const MAX_CACHED_LENGTH = 64;
const cache: Array<string | undefined> = new Array<string | undefined>(CACHE_SIZE).fill(undefined);
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Node's Buffer#latin1Slice (what toString('latin1') calls, without its argument handling). */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

interface BufferReaderInternals {
  buf: Buffer;
  pos: number;
  len: number;
  uint32(): number;
}

export class InterningReader extends protobuf.BufferReader {
  override stringVerify(): string {
    const self = this as unknown as BufferReaderInternals;
    const length = self.uint32();
    const start = self.pos;
    const end = start + length;
    if (end > self.len) throw new RangeError(`index out of range: ${self.pos} + ${length || 1} > ${self.len}`);
    self.pos = end;
    if (length === 0) return '';
    const buf = self.buf;
    if (length <= MAX_CACHED_LENGTH) {
      let h = 0x811c9dc5 ^ length;
      let bits = 0;
      for (let i = start; i < end; i++) {
        const b = buf[i];
        bits |= b;
        h = Math.imul(h ^ b, 16777619);
      }
      if (bits < 0x80) {
        const slot = (h ^ (h >>> 15)) & (CACHE_SIZE - 1);
        const cached = cache[slot];
        if (cached !== undefined && cached.length === length) {
          let i = 0;
          while (i < length && cached.charCodeAt(i) === buf[start + i]) i++;
          if (i === length) return cached;
        }
        const s = (buf as unknown as Latin1Slicer).latin1Slice(start, end);
        cache[slot] = s;
        return s;
      }
    }
    return strictDecoder.decode(buf.subarray(start, end));
  }
}

/** A reader over `buf` (no copy) for Type.decode. */
export function interningReader(buf: Uint8Array): protobuf.Reader {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return new InterningReader(b);
}
