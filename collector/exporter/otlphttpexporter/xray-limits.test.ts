import { describe, expect, it } from 'vitest';
import { idToHex, type TraceData } from '../../pdata/model.js';
import { decodeTraceRequest as decode, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { encodeWithinLimit, halveTraceData, planXrayRequests, XRAY_OTLP_LIMITS } from './xray-limits.js';
import { xrayLimitProblem } from './testdata/fake-xray-otlp.js';

import { count, DAY, HOUR, ids, many, MIN, resource, testSpan, td } from './testdata/spans.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const manyAt = (n: number, opts: Parameters<typeof testSpan>[1] = {}) => many(NOW, n, opts);
const span = (opts: Parameters<typeof testSpan>[1] = {}) => testSpan(NOW, opts);

describe('planXrayRequests: X-Ray OTLP endpoint limits', () => {
  it('sends an ordinary batch as it is: same object, nothing dropped, nothing copied', () => {
    const batch = td(resource('a', manyAt(1024)));
    const plan = planXrayRequests(batch, NOW);
    expect(plan.requests).toHaveLength(1);
    expect(plan.requests[0]).toBe(batch);
    expect(plan.kept).toBe(1024);
    expect(plan.drops.size).toBe(0);
  });

  it.each([
    [10_000, [10_000]],
    [10_001, [10_000, 1]],
    [25_000, [10_000, 10_000, 5_000]],
  ])('%i spans → requests of %j spans (at most 10,000 each), in order', (n, sizes) => {
    const half = Math.floor(n / 2);
    const batch = td(resource('a', manyAt(half)), resource('b', manyAt(n - half)));
    const plan = planXrayRequests(batch, NOW);
    expect(plan.requests.map(count)).toEqual(sizes);
    expect(plan.requests.flatMap(ids)).toEqual(ids(batch));
    for (const r of plan.requests) {
      for (const rs of r.resourceSpans) expect(rs.resource).toBe(batch.resourceSpans.find((x) => x.scopeSpans[0]!.spans.includes(rs.scopeSpans[0]!.spans[0]!))!.resource);
    }
  });

  it('splits by size: ~9 MB of 30 KB spans → requests of at most 5,000,000 bytes once encoded', () => {
    const batch = td(resource('big', manyAt(300, { attrBytes: 30_000 })));
    const plan = planXrayRequests(batch, NOW);
    expect(plan.requests.length).toBeGreaterThan(1);
    const encoded = plan.requests.flatMap((r) => encodeWithinLimit(r, count(r), XRAY_OTLP_LIMITS.maxRequestBytes, encodeTraceRequest));
    for (const e of encoded) {
      expect(e.bytes.byteLength).toBeLessThanOrEqual(5_000_000);
      expect(xrayLimitProblem(decode(e.bytes), e.bytes.byteLength, NOW)).toBeUndefined();
    }
    expect(encoded.reduce((n, e) => n + e.spans, 0)).toBe(300);
  });

  it.each([
    ['started 15 days ago', { startMs: NOW - 15 * DAY }, 'xray_span_too_old', /started 15\.0 days ago/],
    ['started 14 days ago (inside the limit, outside the retry margin)', { startMs: NOW - 14 * DAY + 10 * MIN }, 'xray_span_too_old', /days ago/],
    ['starts 3 h ahead', { startMs: NOW + 3 * HOUR }, 'xray_span_in_future', /3\.0 h in the future/],
    ['is 250,000 bytes', { attrBytes: 250_000 }, 'xray_span_too_large', /is 250,\d{3} bytes; .* up to 200,000 bytes/],
    ['is 210,000 bytes of 3-byte UTF-8 text (70,000 UTF-16 units)', { text: '界'.repeat(70_000) }, 'xray_span_too_large', /is 210,\d{3} bytes/],
  ] as const)('drops a span that %s, with reason %s', (_what, opts, reason, detail) => {
    const bad = span({ ...opts, name: 'GET /bad' });
    const good = manyAt(3);
    const plan = planXrayRequests(td(resource('a', [good[0]!, bad, good[1]!, good[2]!])), NOW);
    expect(plan.kept).toBe(3);
    expect([...plan.drops.keys()]).toEqual([reason]);
    expect(plan.drops.get(reason)!.spans).toBe(1);
    expect(plan.drops.get(reason)!.detail).toMatch(detail);
    expect(plan.drops.get(reason)!.detail).toContain(`span "GET /bad" (trace ${idToHex(bad.traceId)}, span ${idToHex(bad.spanId)})`);
    expect(plan.requests.flatMap(ids)).toEqual(good.map((s) => idToHex(s.spanId)));
  });

  it.each([
    ['13 days back', { startMs: NOW - 13 * DAY }],
    ['1 h 50 min ahead', { startMs: NOW + 110 * MIN }],
    ['190,000 bytes', { attrBytes: 190_000 }],
    ['60,000 UTF-16 units of 3-byte text (180,000 bytes)', { text: '界'.repeat(60_000) }],
  ] as const)('keeps a span %s', (_what, opts) => {
    const plan = planXrayRequests(td(resource('a', [span(opts)])), NOW);
    expect(plan.kept).toBe(1);
    expect(plan.drops.size).toBe(0);
  });

  it('counts every drop by reason, and describes the first of each', () => {
    const plan = planXrayRequests(td(resource('a', [...manyAt(2, { startMs: NOW - 20 * DAY }), ...manyAt(5), span({ startMs: NOW + 5 * HOUR })])), NOW);
    expect(Object.fromEntries([...plan.drops].map(([r, d]) => [r, d.spans]))).toEqual({ xray_span_too_old: 2, xray_span_in_future: 1 });
    expect(plan.kept).toBe(5);
  });

  it('drops every span of a resource + scope over 16,000 bytes, and keeps the others', () => {
    const heavy = resource('heavy', manyAt(4), [{ key: 'k8s.pod.annotations', value: { stringValue: 'a'.repeat(17_000) } }]);
    const light = resource('light', manyAt(3));
    const plan = planXrayRequests(td(heavy, light), NOW);
    expect(plan.drops.get('xray_resource_too_large')).toMatchObject({ spans: 4 });
    expect(plan.drops.get('xray_resource_too_large')!.detail).toMatch(/resource of service "heavy" \+ scope "envoy" is 17,\d{3} bytes; .* up to 16,000/);
    expect(plan.requests.flatMap(ids)).toEqual(ids(td(light)));
    expect(plan.requests[0]!.resourceSpans[0]!.resource).toBe(light.resource);
  });

  it('splits by time so no request spans 24 h or more (start times), each window in order', () => {
    const d3 = manyAt(2, { startMs: NOW - 3 * DAY });
    const d2 = manyAt(2, { startMs: NOW - 2 * DAY + HOUR });
    const now = manyAt(2, { startMs: NOW - MIN });
    const batch = td(resource('a', [now[0]!, d3[0]!, d2[0]!]), resource('b', [d3[1]!, now[1]!, d2[1]!]));
    const plan = planXrayRequests(batch, NOW);
    expect(plan.requests.map(ids)).toEqual([d3, d2, now].map((g) => g.map((s) => idToHex(s.spanId))));
    for (const r of plan.requests) expect(xrayLimitProblem(r, 0, NOW)).toBeUndefined();
  });

  it('a spread just under 24 h stays one request', () => {
    const batch = td(resource('a', [span({ startMs: NOW - DAY + MIN }), span({ startMs: NOW })]));
    expect(planXrayRequests(batch, NOW).requests).toEqual([batch]);
  });

  it('everything dropped → no request', () => {
    const plan = planXrayRequests(td(resource('a', manyAt(3, { startMs: NOW - 30 * DAY }))), NOW);
    expect(plan).toMatchObject({ requests: [], kept: 0 });
    expect(plan.drops.get('xray_span_too_old')!.spans).toBe(3);
  });

  it('empty batch → nothing', () => {
    expect(planXrayRequests(td(), NOW)).toMatchObject({ requests: [], kept: 0 });
  });
});

describe('encodeWithinLimit / halveTraceData', () => {
  it('halves until every part is within the byte limit, keeping order and resources', () => {
    const batch = td(resource('a', manyAt(10, { attrBytes: 1_000 })), resource('b', manyAt(7, { attrBytes: 1_000 })));
    const parts = encodeWithinLimit(batch, 17, 4_000, encodeTraceRequest);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    for (const p of parts) expect(p.bytes.byteLength).toBeLessThanOrEqual(4_000);
    expect(parts.reduce((n, p) => n + p.spans, 0)).toBe(17);
    expect(parts.flatMap((p) => ids(decode(p.bytes)))).toEqual(ids(batch));
  });

  it('leaves a request within the limit alone (one encode)', () => {
    const batch = td(resource('a', manyAt(3)));
    let encodes = 0;
    const parts = encodeWithinLimit(batch, 3, 1_000_000, (t) => (encodes++, encodeTraceRequest(t)));
    expect(parts).toHaveLength(1);
    expect(encodes).toBe(1);
  });

  it('halveTraceData splits the spans in two, resource and scope groups kept', () => {
    const a = manyAt(3);
    const b = manyAt(2);
    const [x, y] = halveTraceData(td(resource('a', a), resource('b', b)));
    expect(ids(x)).toEqual(a.map((s) => idToHex(s.spanId)));
    expect(ids(y)).toEqual(b.map((s) => idToHex(s.spanId)));
    expect(x.resourceSpans).toHaveLength(1);
  });
});
