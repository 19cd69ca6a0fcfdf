/**
 * The shape of a JSON body, read before JSON.parse builds anything: nesting depth, how many
 * containers, values and string bytes it holds, and how many elements its span lists carry.
 *
 * Why: JSON.parse allocates for every `{}` and `[]` it meets before the decoder can look at a
 * single span, so a 20 MB body of `[{},{},…]` or `[[[[…]]]]` costs hundreds of MB of heap (and
 * seconds of event loop) before it can be refused. This scan costs a few ns per structural byte
 * (strings are skipped with Buffer#indexOf, which is native) and no allocation, so the receiver
 * can refuse a body that is too deep, holds too many spans, or would not fit in the memory
 * budget — before parsing it.
 *
 * The scan does not validate the grammar (JSON.parse still does, on the bodies that pass): it
 * only counts, and its counts bound what JSON.parse and the decoders can allocate.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Strings are searched for their closing quote byte by byte up to this length, then natively. */
const SHORT_STRING = 32;

/** Which arrays' elements count as spans. */
export type SpanListRule =
  /** The top-level array (Zipkin v2: `[{span}, …]`). */
  | 'top-level-array'
  /** Every array that is the value of a `"spans"` key (OTLP/JSON `scopeSpans[].spans`). */
  | 'spans-key';

export interface JsonShape {
  /** Deepest nesting of objects and arrays (1 for `[]`). */
  depth: number;
  /** Objects and arrays. */
  containers: number;
  /** Scalar values and object keys (strings, numbers, literals). */
  scalars: number;
  /** Bytes inside string literals (keys included). */
  stringBytes: number;
  /** Elements of the span lists (see SpanListRule). */
  spans: number;
  /** The scan stopped at `maxDepth`: the body is nested too deep (the counts are partial). */
  tooDeep: boolean;
}

/** Kind of open container, per depth: 1 object, 2 array, 3 a span-list array. */
const OBJECT = 1;
const ARRAY = 2;
const SPAN_ARRAY = 3;

/**
 * The scan, resumable: `step` reads about `maxBytes` bytes and can be called again later, so a
 * 20 MB body does not stall the event loop for the few hundred milliseconds a scan takes.
 */
export class JsonShapeScan {
  readonly shape: JsonShape = { depth: 0, containers: 0, scalars: 0, stringBytes: 0, spans: 0, tooDeep: false };
  private readonly b: Buffer;
  private readonly stack: Uint8Array;
  private i = 0;
  private depth = 0;
  /** A string just read was the key "spans" (rule 'spans-key'): the next array opened is a span list. */
  private spansKey = false;
  /** The container at the top of the stack just opened or took a comma: its next value is an element. */
  private expectElement = false;

  constructor(
    buf: Uint8Array,
    private readonly maxDepth: number,
    private readonly rule: SpanListRule,
  ) {
    this.b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.stack = new Uint8Array(maxDepth + 1);
  }

  /** Reads on for about `maxBytes` bytes; true when done (the whole body, or too deep). */
  step(maxBytes: number): boolean {
    const { b, stack, shape, maxDepth, rule } = this;
    const n = b.length;
    const stop = Math.min(n, this.i + maxBytes);
    let { i, depth, spansKey, expectElement } = this;
    while (i < stop) {
      const c = b[i];
      if (c === QUOTE) {
        // Short strings (keys, IDs, most values) are faster to walk here than to hand to
        // Buffer#indexOf, whose call costs more than it saves below a few dozen bytes.
        let j = i + 1;
        const near = Math.min(n, j + SHORT_STRING);
        while (j < near && b[j] !== QUOTE) j++;
        if (j === near) j = near < n ? b.indexOf(QUOTE, near) : -1;
        // A quote preceded by an odd number of backslashes is escaped: keep looking.
        while (j > 0) {
          let k = j - 1;
          while (b[k] === BACKSLASH) k--;
          if ((j - 1 - k) % 2 === 0) break;
          j = b.indexOf(QUOTE, j + 1);
        }
        if (j < 0) j = n; // unterminated: JSON.parse will say so
        const len = j - i - 1;
        shape.stringBytes += len;
        shape.scalars++;
        if (expectElement && stack[depth] === SPAN_ARRAY) shape.spans++;
        expectElement = false;
        if (rule === 'spans-key') {
          spansKey = len === 5 && b[i + 1] === 0x73 && b[i + 2] === 0x70 && b[i + 3] === 0x61 && b[i + 4] === 0x6e && b[i + 5] === 0x73; // "spans"
        }
        i = j + 1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (expectElement && stack[depth] === SPAN_ARRAY) shape.spans++;
        depth++;
        if (depth > shape.depth) shape.depth = depth;
        if (depth > maxDepth) {
          shape.tooDeep = true;
          this.i = n;
          return true;
        }
        shape.containers++;
        let kind = c === OPEN_OBJECT ? OBJECT : ARRAY;
        if (kind === ARRAY && ((rule === 'top-level-array' && depth === 1) || (rule === 'spans-key' && spansKey))) kind = SPAN_ARRAY;
        stack[depth] = kind;
        spansKey = false;
        expectElement = kind !== OBJECT;
        i++;
        continue;
      }
      if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth > 0) depth--;
        expectElement = false;
        spansKey = false;
        i++;
        continue;
      }
      if (c === COMMA) {
        expectElement = stack[depth] !== OBJECT;
        spansKey = false;
        i++;
        continue;
      }
      if (c === COLON || c <= 0x20) {
        i++;
        continue;
      }
      // A number or literal: one scalar, whatever its length.
      if (expectElement && stack[depth] === SPAN_ARRAY) shape.spans++;
      expectElement = false;
      spansKey = false;
      shape.scalars++;
      i++;
      while (i < n) {
        const d = b[i];
        if (d === COMMA || d === CLOSE_ARRAY || d === CLOSE_OBJECT || d <= 0x20 || d === QUOTE || d === OPEN_ARRAY || d === OPEN_OBJECT || d === COLON) break;
        i++;
      }
    }
    this.i = i;
    this.depth = depth;
    this.spansKey = spansKey;
    this.expectElement = expectElement;
    return i >= n;
  }
}

/** Scans `buf` (UTF-8 JSON) in one go. Stops early, with `tooDeep`, as soon as nesting passes `maxDepth`. */
export function scanJsonShape(buf: Uint8Array, maxDepth: number, rule: SpanListRule): JsonShape {
  const scan = new JsonShapeScan(buf, maxDepth, rule);
  while (!scan.step(Number.MAX_SAFE_INTEGER));
  return scan.shape;
}
