/**
 * Headers as the host's public API takes and returns them: names and values are bytes
 * (Uint8Array), with strings accepted as a convenience (encoded as UTF-8) and results offered
 * both as bytes and as UTF-8 text.
 */
import type { BytePair } from './pairs.js';

/** A header name or value: bytes, or a string encoded as UTF-8. */
export type HeaderText = string | Uint8Array;
/** Headers in order as [name, value] pairs, or an object name → value(s). */
export type HeadersInput = Array<readonly [HeaderText, HeaderText]> | Record<string, HeaderText | HeaderText[]>;
/** Headers as text ([name, value], decoded as UTF-8). */
export type HeaderList = Array<[string, string]>;

const bytes = (t: HeaderText): Buffer => (typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t));

/** The input as byte pairs, in order (names as given: the header map lower-cases them). */
export function toBytePairs(input: HeadersInput | undefined): BytePair[] {
  if (!input) return [];
  if (Array.isArray(input)) return input.map(([k, v]) => [bytes(k), bytes(v)] as BytePair);
  return Object.entries(input).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [bytes(k), bytes(x)] as BytePair));
}

/** Byte pairs as UTF-8 text (bytes that are not UTF-8 become U+FFFD; use the byte form to see them). */
export function toHeaderList(pairs: readonly BytePair[]): HeaderList {
  return pairs.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);
}
