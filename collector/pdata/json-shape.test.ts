import { describe, expect, it } from 'vitest';
import { JsonShapeScan, scanJsonShape, type SpanListRule } from './json-shape.js';

function shape(text: string, rule: SpanListRule = 'top-level-array', maxDepth = 64) {
  return scanJsonShape(Buffer.from(text), maxDepth, rule);
}

describe('JSON shape, read before parsing', () => {
  it.each([
    // text, rule, spans, depth, containers, scalars, stringBytes
    ['[]', 'top-level-array', 0, 1, 1, 0, 0],
    ['[{}]', 'top-level-array', 1, 2, 2, 0, 0],
    ['[{},{},{}]', 'top-level-array', 3, 2, 4, 0, 0],
    [' [ {} , {} ] ', 'top-level-array', 2, 2, 3, 0, 0],
    ['[1,"a",true,null]', 'top-level-array', 4, 1, 1, 4, 1],
    ['[[1,2],[3]]', 'top-level-array', 2, 2, 3, 3, 0],
    ['[{"traceId":"ab","tags":{"a":"b"}}]', 'top-level-array', 1, 3, 3, 5, 15],
    ['{"a":[{},{}]}', 'top-level-array', 0, 3, 4, 1, 1],
    // escaped quotes and brackets inside strings are not structure
    ['["a\\"]b", "[{", "\\\\"]', 'top-level-array', 3, 1, 1, 3, 9],
    // OTLP/JSON: elements of every "spans" array, wherever it is
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[{},{}]},{"spans":[{}]}]}]}', 'spans-key', 3, 7, 11, 4, 33],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}', 'spans-key', 0, 6, 6, 3, 28],
    ['{"spans":null,"x":[{}]}', 'spans-key', 0, 3, 3, 3, 6],
    ['{"spanss":[{}],"spans":[1,2]}', 'spans-key', 2, 3, 4, 4, 11],
    // a "spans" string value is not a key: the next array is not a span list
    ['{"a":"spans","b":[{}]}', 'spans-key', 0, 3, 3, 3, 7],
  ] as const)('%s (%s)', (text, rule, spans, depth, containers, scalars, stringBytes) => {
    expect(shape(text, rule)).toEqual({ spans, depth, containers, scalars, stringBytes, tooDeep: false });
  });

  it('stops at the depth limit without reading further', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const s = shape(deep, 'top-level-array', 64);
    expect(s.tooDeep).toBe(true);
    expect(s.containers).toBe(64);
    expect(shape('[[[]]]', 'top-level-array', 3).tooDeep).toBe(false);
    expect(shape('[[[[]]]]', 'top-level-array', 3).tooDeep).toBe(true);
  });

  it('counts a 19.5 MB body of empty spans exactly, without parsing it', () => {
    const n = 6_500_000;
    const body = Buffer.alloc(3 * n + 1, ',');
    body[0] = 0x5b;
    for (let i = 0; i < n; i++) {
      body[1 + 3 * i] = 0x7b;
      body[2 + 3 * i] = 0x7d;
    }
    body[body.length - 1] = 0x5d;
    expect(scanJsonShape(body, 64, 'top-level-array')).toMatchObject({ spans: n, containers: n + 1, depth: 2 });
  });

  it('is lenient with malformed JSON (JSON.parse judges it later) and never throws', () => {
    for (const t of ['', '"', '[', ']', '}}}', '["unterminated', '[1,,2]', '\u0000', '{"a"::}']) {
      expect(() => shape(t)).not.toThrow();
    }
  });

  it.each([1, 2, 7, 64])('read in slices of %i bytes, the shape is the same as in one go', (slice) => {
    const text = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\\"b","attributes":[{"key":"k","value":{"intValue":"1"}}]},{}]}]}],"x":[1,2,[3]]}';
    const scan = new JsonShapeScan(Buffer.from(text), 64, 'spans-key');
    let steps = 0;
    while (!scan.step(slice)) steps++;
    expect(scan.shape).toEqual(shape(text, 'spans-key'));
    expect(scan.shape.spans).toBe(2);
    if (slice < 10) expect(steps).toBeGreaterThan(5);
  });
});
