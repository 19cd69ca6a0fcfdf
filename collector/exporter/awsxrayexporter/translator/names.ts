/**
 * X-Ray's character rules (segment document docs, FACTS.md §4): segment names are 1–200
 * characters of letters, numbers, white space and `_ . : / % & # = + - @` as AWS's published
 * schema lists them (name-chars.ts); annotation keys are `[A-Za-z0-9_]`. Upstream sanitises only
 * span names; we sanitise every name source (a `peer.service` with `|` would otherwise make X-Ray
 * refuse the whole document).
 */
import { isNameCodeUnit } from './name-chars.js';

export const MAX_NAME_LENGTH = 200;
export const DEFAULT_SEGMENT_NAME = 'span';
export const MAX_ANNOTATION_KEY_LENGTH = 500;
export const MAX_ANNOTATION_STRING_LENGTH = 1000;
/** The schema's limit on http.request.* strings and `user`. */
export const MAX_HTTP_FIELD_LENGTH = 250;

/**
 * Segment names repeat (a few services per pipeline): results are memoised, in a small map
 * emptied when full.
 */
const sanitized = new Map<string, string>();
const MAX_MEMO = 4096;

/**
 * Removes the characters AWS's published schema refuses (name-chars.ts: its fixed BMP ranges, so
 * no character outside the BMP), trims spaces, cuts to 200 characters; `span` when nothing is left.
 */
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
  let s = name;
  for (let i = 0; i < name.length; i++) {
    if (!isNameCodeUnit(name.charCodeAt(i))) {
      s = keepNameCodeUnits(name, i);
      break;
    }
  }
  s = s.trim();
  // Every kept code unit is a whole BMP character, so cutting by code units splits nothing.
  if (s.length > MAX_NAME_LENGTH) s = s.slice(0, MAX_NAME_LENGTH).trim();
  return s.length === 0 ? DEFAULT_SEGMENT_NAME : s;
}

/** `name` without the code units a segment name may not contain, from index `from` on. */
function keepNameCodeUnits(name: string, from: number): string {
  let out = name.slice(0, from);
  for (let i = from; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isNameCodeUnit(c)) out += name[i];
  }
  return out;
}

const INVALID_KEY_CHARS = /[^A-Za-z0-9_]/g;
/** Annotation keys repeat as much as names: memoised the same way. */
const sanitizedKeys = new Map<string, string>();

/** Every character outside [A-Za-z0-9_] becomes `_` (as upstream), at most 500 characters. */
export function sanitizeAnnotationKey(key: string): string {
  let k = sanitizedKeys.get(key);
  if (k !== undefined) return k;
  k = key.replace(INVALID_KEY_CHARS, '_');
  if (k.length > MAX_ANNOTATION_KEY_LENGTH) k = k.slice(0, MAX_ANNOTATION_KEY_LENGTH);
  if (k.length === 0) k = '_';
  if (key.length <= MAX_ANNOTATION_KEY_LENGTH) {
    if (sanitizedKeys.size >= MAX_MEMO) sanitizedKeys.clear();
    sanitizedKeys.set(key, k);
  }
  return k;
}

/** At most `max` UTF-16 units without splitting a surrogate pair (schema maxLength). */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}
