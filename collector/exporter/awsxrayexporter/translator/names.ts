/**
 * X-Ray's character rules (segment document docs, FACTS.md §4): segment names are 1–200
 * characters of letters, numbers, white space and `_ . : / % & # = + \ - @`; annotation keys are
 * `[A-Za-z0-9_]`. Upstream sanitises only span names; we sanitise every name source (a
 * `peer.service` with `|` would otherwise make X-Ray refuse the whole document).
 */

export const MAX_NAME_LENGTH = 200;
export const DEFAULT_SEGMENT_NAME = 'span';
export const MAX_ANNOTATION_KEY_LENGTH = 500;
export const MAX_ANNOTATION_STRING_LENGTH = 1000;
/** The schema's limit on http.request.* strings and `user`. */
export const MAX_HTTP_FIELD_LENGTH = 250;

// \p{Zs} rather than \p{Z}: line/paragraph separators would break log lines for no benefit.
const INVALID_NAME_CHARS = /[^\p{L}\p{N}\p{Zs}_.:/%&#=+\-@]/gu;
const ONLY_VALID_NAME = /^[\p{L}\p{N}\p{Zs}_.:/%&#=+\-@]*$/u;

/**
 * Segment names repeat (a few services per pipeline) and the Unicode-aware test costs more than
 * a hash lookup: results are memoised, in a small map emptied when full.
 */
const sanitized = new Map<string, string>();
const MAX_MEMO = 4096;

/** Removes characters X-Ray refuses, cuts to 200 characters; `span` when nothing is left. */
export function sanitizeSegmentName(name: string): string {
  const known = sanitized.get(name);
  if (known !== undefined) return known;
  const s = sanitizeUncached(name);
  if (name.length <= MAX_NAME_LENGTH) {
    if (sanitized.size >= MAX_MEMO) sanitized.clear();
    sanitized.set(name, s);
  }
  return s;
}

function sanitizeUncached(name: string): string {
  let s = ONLY_VALID_NAME.test(name) ? name : name.replace(INVALID_NAME_CHARS, '');
  s = s.trim();
  if (s.length > MAX_NAME_LENGTH) s = truncateCodePoints(s, MAX_NAME_LENGTH).trim();
  return s.length === 0 ? DEFAULT_SEGMENT_NAME : s;
}

const INVALID_KEY_CHARS = /[^A-Za-z0-9_]/g;

/** Every character outside [A-Za-z0-9_] becomes `_` (as upstream), at most 500 characters. */
export function sanitizeAnnotationKey(key: string): string {
  let k = key.replace(INVALID_KEY_CHARS, '_');
  if (k.length > MAX_ANNOTATION_KEY_LENGTH) k = k.slice(0, MAX_ANNOTATION_KEY_LENGTH);
  return k.length === 0 ? '_' : k;
}

/** At most `max` code points, never splitting a surrogate pair. */
export function truncateCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n === max) break;
    out += ch;
    n++;
  }
  return out;
}

/** At most `max` UTF-16 units without splitting a surrogate pair (schema maxLength). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}
