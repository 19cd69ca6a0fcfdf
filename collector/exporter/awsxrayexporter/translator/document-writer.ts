/**
 * Writes segment documents as PutTraceSegments carries them: each document's JSON (byte for
 * byte what JSON.stringify gives) escaped once more as the content of a JSON string, in UTF-8,
 * ready to be copied between the `"` of `{"TraceSegmentDocuments":["…","…"]}`.
 *
 * Why not JSON.stringify twice: the documents of a batch were stringified (~3 µs per span), then
 * every call escaped them again into the body with JSON.stringify (~2–3 µs more) and encoded the
 * ~60 KB body string to UTF-8. This writer does the two escapes in one pass straight into bytes:
 * printable ASCII (nearly everything in spans) is copied as it is, long clean strings by a native
 * Latin-1 copy, attribute keys from a cache of their escaped bytes; only strings with quotes,
 * backslashes, control or non-ASCII characters go through JSON.stringify. A call's body is then
 * a concatenation of bytes (send/api-sender.ts).
 *
 * For plain JSON data (objects built by the translator or JSON.parse, arrays, strings, numbers,
 * booleans, null): object keys are visited with for-in, which for such objects is exactly
 * JSON.stringify's order (integer keys ascending, then insertion order). Anything else (toJSON,
 * functions, BigInt) is left to JSON.stringify itself.
 */

import { ByteWriter } from '../../../pdata/byte-writer.js';
import type { SegmentDocument } from './segment.js';

/** `\"` : a quote of the document, as it stands inside the body's JSON string. */
const QUOTE_1 = 0x5c;
const QUOTE_2 = 0x22;
/** Strings at least this long are checked by a regular expression and copied natively. */
const NATIVE_COPY_MIN = 40;
/** Any character that is not printable ASCII, or is `"` or `\`: the string needs real escaping. */
const NEEDS_ESCAPING = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
/** Below 2^33 s (year 2242) doubles are closer together than a microsecond. */
const MAX_MICROS_SECONDS = 2 ** 33;
/** Escaped `\"key\":` of object keys, which repeat on every span. Bounded: keys are client data. */
const KEY_CACHE_MAX = 4096;

/** `\"key\":` as it stands in the body, preceded by a comma unless it is the first member. */
function fieldBytes(key: string, first = false): Uint8Array {
  return Buffer.from(`${first ? '' : ','}\\"${key}\\":`, 'latin1');
}
const F_NAME = fieldBytes('name', true);
const F_ID = fieldBytes('id');
const F_TRACE_ID = fieldBytes('trace_id');
const F_START_TIME = fieldBytes('start_time');
const F_END_TIME = fieldBytes('end_time');
const F_FAULT = fieldBytes('fault');
const F_ERROR = fieldBytes('error');
const F_THROTTLE = fieldBytes('throttle');
const F_PARENT_ID = fieldBytes('parent_id');
const F_TYPE = fieldBytes('type');
const F_NAMESPACE = fieldBytes('namespace');
const F_ORIGIN = fieldBytes('origin');
const F_USER = fieldBytes('user');
const F_CAUSE = fieldBytes('cause');
const F_HTTP = fieldBytes('http');
const F_SQL = fieldBytes('sql');
const F_AWS = fieldBytes('aws');
const F_SERVICE = fieldBytes('service');
const F_LINKS = fieldBytes('links');
const F_ANNOTATIONS = fieldBytes('annotations');
const F_METADATA = fieldBytes('metadata');

export class DocumentWriter extends ByteWriter {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(initialBytes = 256 * 1024) {
    super(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Appends one document (or any JSON value), escaped for a JSON string. */
  write(value: unknown): void {
    this.value(value, false);
  }

  /**
   * Appends a segment document: the same bytes as write(doc) for documents whose fields were set
   * in the order of SegmentDocument (as makeSegments and the trimming in fit.ts set them), without
   * looking each field's key up: a segment's own fields are a fixed set, their keys written from
   * constants. Undefined optional fields are left out, as JSON.stringify leaves them out.
   */
  writeSegment(d: SegmentDocument): void {
    this.byte(0x7b);
    this.copy(F_NAME);
    this.string(d.name);
    this.copy(F_ID);
    this.string(d.id);
    this.copy(F_TRACE_ID);
    this.string(d.trace_id);
    this.copy(F_START_TIME);
    this.number(d.start_time);
    this.copy(F_END_TIME);
    this.number(d.end_time);
    this.copy(F_FAULT);
    this.ascii(d.fault ? 'true' : 'false');
    this.copy(F_ERROR);
    this.ascii(d.error ? 'true' : 'false');
    this.copy(F_THROTTLE);
    this.ascii(d.throttle ? 'true' : 'false');
    if (d.parent_id !== undefined) this.stringField(F_PARENT_ID, d.parent_id);
    if (d.type !== undefined) this.stringField(F_TYPE, d.type);
    if (d.namespace !== undefined) this.stringField(F_NAMESPACE, d.namespace);
    if (d.origin !== undefined) this.stringField(F_ORIGIN, d.origin);
    if (d.user !== undefined) this.stringField(F_USER, d.user);
    if (d.cause !== undefined) this.valueField(F_CAUSE, d.cause);
    if (d.http !== undefined) this.valueField(F_HTTP, d.http);
    if (d.sql !== undefined) this.valueField(F_SQL, d.sql);
    if (d.aws !== undefined) this.valueField(F_AWS, d.aws);
    if (d.service !== undefined) this.valueField(F_SERVICE, d.service);
    if (d.links !== undefined) this.valueField(F_LINKS, d.links);
    if (d.annotations !== undefined) this.valueField(F_ANNOTATIONS, d.annotations);
    if (d.metadata !== undefined) this.valueField(F_METADATA, d.metadata);
    this.byte(0x7d);
  }

  private stringField(field: Uint8Array, s: string): void {
    this.copy(field);
    this.string(s);
  }

  private valueField(field: Uint8Array, v: unknown): void {
    const mark = this.pos;
    this.copy(field);
    if (!this.value(v, false)) this.pos = mark;
  }

  private number(v: number): void {
    if (!this.microseconds(v)) this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }

  /** Forgets what was written after `length` (a document being rewritten smaller). */
  truncate(length: number): void {
    this.pos = length;
  }

  /** A copy of everything written, exactly sized; the writer starts empty again. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /**
   * The size of the JSON written since `start` as X-Ray counts it (the document itself, not its
   * escaped form): the escaped bytes minus one per escaping backslash.
   */
  jsonBytesSince(start: number): number {
    return embeddedJsonBytes(this.buf, start, this.pos);
  }

  private byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** A string value: `\"…\"` with its content escaped twice. */
  private string(s: string): void {
    const n = s.length;
    if (n >= NATIVE_COPY_MIN) {
      if (NEEDS_ESCAPING.test(s)) return this.escaped(JSON.stringify(s));
      this.ensure(n + 4);
      const b = this.buf;
      b[this.pos++] = QUOTE_1;
      b[this.pos++] = QUOTE_2;
      this.pos += b.write(s, this.pos, 'latin1');
      b[this.pos++] = QUOTE_1;
      b[this.pos++] = QUOTE_2;
      return;
    }
    this.ensure(n + 4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = QUOTE_1;
    b[p++] = QUOTE_2;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return this.escaped(JSON.stringify(s));
      b[p++] = c;
    }
    b[p++] = QUOTE_1;
    b[p++] = QUOTE_2;
    this.pos = p;
  }

  /**
   * JSON text (what JSON.stringify made) escaped as string content: it holds no control
   * characters or lone surrogates any more, so escaping it again only touches `"` and `\`.
   */
  private escaped(json: string): void {
    const inner = JSON.stringify(json);
    this.ensure(inner.length * 3);
    this.pos += this.buf.write(inner.slice(1, -1), this.pos, 'utf8');
  }

  private key(k: string): void {
    let bytes = this.keys.get(k);
    if (bytes === undefined) {
      const start = this.pos;
      this.string(k);
      this.byte(0x3a);
      bytes = Uint8Array.prototype.slice.call(this.buf, start, this.pos);
      this.pos = start;
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.clear();
      this.keys.set(k, bytes);
    }
    this.copy(bytes);
  }

  /**
   * Times (start_time, end_time: seconds with microsecond precision, unique per span) written
   * digit by digit: Number → String of such a double costs ~200 ns, twice per document. Exact:
   * when v is the double nearest to us / 10^6 (checked) and below 2^33, that decimal (trailing
   * zeros dropped) is the shortest that reads back as v, which is what String(v) prints — the
   * doubles there are closer together than 10^-6, so no shorter decimal reads back as v.
   * Integers and everything else are left to String.
   */
  private microseconds(v: number): boolean {
    if (!(v >= 1e-6 && v < MAX_MICROS_SECONDS) || Number.isInteger(v)) return false;
    const us = Math.round(v * 1e6);
    if (us / 1e6 !== v) return false;
    const sec = Math.floor(us / 1e6);
    // Below 10^6 and not 0 (v is not an integer): int32 arithmetic from here on.
    let frac = (us - sec * 1e6) | 0;
    let fracDigits = 6;
    while (frac % 10 === 0) {
      frac = (frac / 10) | 0;
      fracDigits--;
    }
    // The spans of a batch mostly start and end within the same second: its digits are kept.
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.lastSecondText = String(sec);
    }
    this.ascii(this.lastSecondText);
    this.ensure(1 + fracDigits);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x2e;
    p += fracDigits;
    for (let i = 1; i <= fracDigits; i++, frac = (frac / 10) | 0) b[p - i] = 0x30 + (frac % 10);
    this.pos = p;
    return true;
  }

  private lastSecond = -1;
  /** String(lastSecond): a whole number below 2^33, so its plain decimal digits. */
  private lastSecondText = '';

  /** Writes `v`; false when JSON.stringify would leave it out (an object member that is undefined, a function). */
  private value(v: unknown, inArray: boolean): boolean {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return true;
      case 'number':
        this.number(v);
        return true;
      case 'boolean':
        this.ascii(v ? 'true' : 'false');
        return true;
      case 'object':
        if (v === null) this.ascii('null');
        else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return this.other(v, inArray);
        else if (Array.isArray(v)) this.array(v);
        else this.object(v as Record<string, unknown>);
        return true;
      default:
        return this.other(v, inArray);
    }
  }

  /** What JSON.stringify does with values plain data does not have. */
  private other(v: unknown, inArray: boolean): boolean {
    const json = JSON.stringify(v) as string | undefined;
    if (json === undefined) {
      if (!inArray) return false;
      this.ascii('null');
      return true;
    }
    this.escaped(json);
    return true;
  }

  private array(a: readonly unknown[]): void {
    this.byte(0x5b);
    for (let i = 0; i < a.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.value(a[i], true);
    }
    this.byte(0x5d);
  }

  private object(o: Record<string, unknown>): void {
    this.byte(0x7b);
    let first = true;
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      const mark = this.pos;
      if (!first) this.byte(0x2c);
      this.key(k);
      if (this.value(v, false)) first = false;
      else this.pos = mark;
    }
    this.byte(0x7d);
  }
}

/** The JSON size of a document held in its escaped form (one escaping backslash per `\"` or `\\` pair). */
export function embeddedJsonBytes(data: Uint8Array, start = 0, end = data.length): number {
  let n = end - start;
  for (let i = start; i < end; i++) {
    if (data[i] === 0x5c) {
      n--;
      i++;
    }
  }
  return n;
}

/** A document's JSON text from its escaped form (tests, the daemon sender). */
export function documentJson(data: Uint8Array): string {
  return JSON.parse(`"${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')}"`) as string;
}
