import { describe, expect, it } from 'vitest';
import type { ResourceSpans } from '../../pdata/model.js';
import { makeTraces } from '../../service/testkit.js';
import { resourceSpanCount, takeSpans } from './split.js';

function buffer(...sizes: number[][]): ResourceSpans[] {
  // one ResourceSpans per outer entry, one ScopeSpans per inner size
  let id = 0;
  return sizes.map((scopes, r) => ({
    resource: { attributes: [{ key: 'r', value: { intValue: r } }] },
    scopeSpans: scopes.map((n, s) => ({ scope: { name: `s${s}` }, spans: makeTraces(n, 'x', (id += n) - n).resourceSpans[0].scopeSpans[0].spans })),
  }));
}

const names = (rs: ResourceSpans[]) => rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));

describe('takeSpans', () => {
  it.each([
    { sizes: [[3]], max: 10, taken: 3, left: 0 },
    { sizes: [[3]], max: 3, taken: 3, left: 0 },
    { sizes: [[3]], max: 2, taken: 2, left: 1 },
    { sizes: [[2, 2], [3]], max: 3, taken: 3, left: 4 },
    { sizes: [[2, 2], [3]], max: 4, taken: 4, left: 3 },
    { sizes: [[2, 2], [3]], max: 5, taken: 5, left: 2 },
    { sizes: [[0], [1]], max: 1, taken: 1, left: 0 },
    { sizes: [], max: 5, taken: 0, left: 0 },
  ])('$sizes take $max', ({ sizes, max, taken, left }) => {
    const buf = buffer(...sizes);
    const before = names(buf);
    const { td, count } = takeSpans(buf, max);
    expect(count).toBe(taken);
    expect(td.resourceSpans.reduce((n, rs) => n + resourceSpanCount(rs), 0)).toBe(taken);
    expect(buf.reduce((n, rs) => n + resourceSpanCount(rs), 0)).toBe(left);
    // order kept, nothing lost or duplicated
    expect([...names(td.resourceSpans), ...names(buf)]).toEqual(before);
  });

  it('keeps resource and scope with both halves of a split', () => {
    const buf = buffer([4]);
    const { td } = takeSpans(buf, 1);
    expect(td.resourceSpans[0].resource).toBe(buf[0].resource);
    expect(td.resourceSpans[0].scopeSpans[0].scope).toEqual({ name: 's0' });
    expect(buf[0].scopeSpans[0].scope).toEqual({ name: 's0' });
  });
});
