/**
 * What the JSON decoders (OTLP/JSON, Zipkin v2 JSON) share: parsing a request body with an error
 * that says what is wrong, and naming a wrong value in messages without echoing all of it.
 */

/** Parses a UTF-8 body; `onError` turns JSON.parse's message into the decoder's own error. */
export function parseJsonBody(input: string | Uint8Array, onError: (message: string) => Error): unknown {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw onError(`invalid JSON: ${(e as Error).message}`);
  }
}

/** A short description of a JSON value for error messages (strings cut at 40 characters). */
export function describeJsonValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
