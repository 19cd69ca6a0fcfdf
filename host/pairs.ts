/**
 * Header-map wire format exactly as Envoy writes it (proxy-wasm-cpp-host exports.h
 * marshalPairs; FACTS.md §1): u32 count; count × (u32 key length, u32 value length); then every
 * key and value followed by one NUL byte. Little-endian. Bytes, not strings: a value need not
 * be valid UTF-8.
 */
export type BytePair = [Buffer, Buffer];

export function pairsSize(pairs: readonly BytePair[]): number {
  let size = 4;
  for (const [k, v] of pairs) size += 8 + k.length + 1 + v.length + 1;
  return size;
}

export function marshalPairs(pairs: readonly BytePair[], into?: Uint8Array, offset = 0): Buffer {
  const size = pairsSize(pairs);
  const out = into ? Buffer.from(into.buffer, into.byteOffset + offset, size) : Buffer.alloc(size);
  out.writeUInt32LE(pairs.length, 0);
  let lens = 4;
  let data = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    out.writeUInt32LE(k.length, lens);
    out.writeUInt32LE(v.length, lens + 4);
    lens += 8;
    k.copy(out, data); data += k.length; out[data++] = 0;
    v.copy(out, data); data += v.length; out[data++] = 0;
  }
  return out;
}

/** Parses the wire format; returns null when the block is malformed (Envoy: BAD_ARGUMENT). */
export function unmarshalPairs(buf: Uint8Array): BytePair[] | null {
  if (buf.length === 0) return [];
  if (buf.length < 4) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const count = b.readUInt32LE(0);
  if (4 + count * 8 > b.length) return null;
  const pairs: BytePair[] = [];
  let data = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = b.readUInt32LE(4 + i * 8);
    const vl = b.readUInt32LE(8 + i * 8);
    if (data + kl + 1 + vl + 1 > b.length) return null;
    const k = Buffer.from(b.subarray(data, data + kl)); data += kl + 1;
    const v = Buffer.from(b.subarray(data, data + vl)); data += vl + 1;
    pairs.push([k, v]);
  }
  return pairs;
}
