/**
 * The emulation of Envoy's tracer around the filter chain (host/tracing), against facts read from
 * Envoy's source (the file each table names): how the OpenTelemetry and Zipkin tracers read a
 * request's context, which span they start (kind, IDs, shared context), what the router writes,
 * which tags the finished span carries; then a whole emulated proxy around the real filter.
 */
import { describe, expect, it } from 'vitest';
import {
  EmulatedProxy, extractOpenTelemetry, extractZipkin, finishSpan, injectedHeaders, otlpJsonRequest, startSpan, zipkinSampled, zipkinV2,
  type Extraction, type HeaderList,
} from '../../host/index.js';
import { filterBytes, GATEWAY_NODE, SIDECAR_NODE } from '../filter/helpers.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const P = 'b7ad6b7169203331';

describe('OpenTelemetry tracer: reading the context (span_context_extractor.cc, opentelemetry_tracer_impl.cc startSpan)', () => {
  it.each([
    ['no traceparent: a root span, Envoy\'s own decision', [], { kind: 'root', sampled: true }],
    ['valid, sampled', [['traceparent', `00-${T}-${S}-01`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: '' } }],
    ['valid, not sampled', [['traceparent', `00-${T}-${S}-00`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: false, tracestate: '' } }],
    ['flags 03: the sampled bit counts', [['traceparent', `00-${T}-${S}-03`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: '' } }],
    ['upper-case hex is accepted (absl::ascii_isxdigit)', [['traceparent', `00-${T.toUpperCase()}-${S.toUpperCase()}-01`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: '' } }],
    ['version ff passes the extractor (hex, 2 digits)', [['traceparent', `ff-${T}-${S}-01`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: '' } }],
    ['tracestate values joined with ","', [['traceparent', `00-${T}-${S}-01`], ['tracestate', 'a=1'], ['tracestate', 'b=2']], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: 'a=1,b=2' } }],
    ['the first of two traceparent headers', [['traceparent', `00-${T}-${S}-01`], ['traceparent', `00-${'1'.repeat(32)}-${S}-01`]], { kind: 'parent', parent: { traceId: T, spanId: S, sampled: true, tracestate: '' } }],
    ['54 characters: no span', [['traceparent', `00-${T}-${S}-1`]], { kind: 'none', reason: 'Invalid traceparent header length' }],
    ['a Level-2 future version with more fields: no span', [['traceparent', `01-${T}-${S}-01-xy`]], { kind: 'none', reason: 'Invalid traceparent header length' }],
    ['wrong hyphenation: no span', [['traceparent', `00-${T}0${S}-01`]], { kind: 'none', reason: 'Invalid traceparent hyphenation' }],
    ['wrong field sizes: no span', [['traceparent', `000-${T.slice(1)}-${S}-01`]], { kind: 'none', reason: 'Invalid traceparent field sizes' }],
    ['not hex: no span', [['traceparent', `00-${T.slice(1)}g-${S}-01`]], { kind: 'none', reason: 'Invalid header hex' }],
    ['zero trace ID: no span', [['traceparent', `00-${'0'.repeat(32)}-${S}-01`]], { kind: 'none', reason: 'Invalid trace id' }],
    ['zero parent ID: no span', [['traceparent', `00-${T}-${'0'.repeat(16)}-01`]], { kind: 'none', reason: 'Invalid parent id' }],
    ['B3 headers are not read', [['x-b3-traceid', T], ['x-b3-spanid', S], ['b3', `${T}-${S}-1`]], { kind: 'root', sampled: true }],
  ] as Array<[string, HeaderList, Extraction]>)('%s', (_name, headers, want) => {
    expect(extractOpenTelemetry(headers, true)).toEqual(want);
  });
});

describe('Zipkin tracer: the sampling decision (span_context_extractor.cc extractSampled)', () => {
  it.each([
    ['b3 "0"', [['b3', '0']], false],
    ['b3 "d"', [['b3', 'd']], true],
    ['b3 64-bit, -0 (35 chars)', [['b3', `${T.slice(16)}-${S}-0`]], false],
    ['b3 128-bit, -1 (51 chars)', [['b3', `${T}-${S}-1`]], true],
    ['b3 with parent (68 chars), -0', [['b3', `${T}-${S}-0-${P}`]], false],
    ['b3 without sampling field: Envoy\'s decision', [['b3', `${T}-${S}`]], true],
    ['b3 wins over X-B3-Sampled', [['b3', `${T}-${S}-0`], ['x-b3-sampled', '1']], false],
    ['X-B3-Sampled 1', [['x-b3-sampled', '1']], true],
    ['X-B3-Sampled true (old tracers)', [['x-b3-sampled', 'true']], true],
    ['X-B3-Sampled 0', [['x-b3-sampled', '0']], false],
    ['X-B3-Sampled anything else: not sampled', [['x-b3-sampled', 'yes']], false],
    ['nothing: Envoy\'s decision', [], true],
  ] as Array<[string, HeaderList, boolean]>)('%s → %s', (_name, headers, want) => {
    expect(zipkinSampled(headers, true)).toBe(want);
  });
});

describe('Zipkin tracer: reading the context, b3 before X-B3-* (span_context_extractor.cc extractSpanContext)', () => {
  const parent = (traceId: string, spanId: string, sampled = true, parentSpanId?: string): Extraction =>
    ({ kind: 'parent', parent: { traceId, spanId, sampled, ...(parentSpanId ? { parentSpanId } : {}) } });
  it.each([
    ['X-B3-* 128-bit', [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '1']], parent(T, S)],
    ['X-B3-* 64-bit, with parent', [['x-b3-traceid', T.slice(16)], ['x-b3-spanid', S], ['x-b3-parentspanid', P]], parent(T.slice(16), S, true, P)],
    ['X-B3-* short IDs are numbers (zero-padded)', [['x-b3-traceid', 'abc'], ['x-b3-spanid', '1f']], parent('0000000000000abc', '000000000000001f')],
    ['X-B3-* empty parent ignored', [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-parentspanid', '']], parent(T, S)],
    ['X-B3-TraceId without SpanId: a root span', [['x-b3-traceid', T]], { kind: 'root', sampled: true }],
    ['X-B3 trace ID not hex: no span', [['x-b3-traceid', `${T.slice(1)}x`], ['x-b3-spanid', S]], { kind: 'none', reason: `Invalid traceid_high or tracid ${T.slice(1)}x` }],
    ['X-B3 span ID too long: no span', [['x-b3-traceid', T], ['x-b3-spanid', `${S}0`]], { kind: 'none', reason: `Invalid span id ${S}0` }],
    ['b3 128-bit with sampling', [['b3', `${T}-${S}-1`]], parent(T, S)],
    ['b3 64-bit', [['b3', `${T.slice(16)}-${S}`]], parent(T.slice(16), S)],
    ['b3 with sampling and parent', [['b3', `${T}-${S}-0-${P}`]], parent(T, S, false, P)],
    ['b3 debug', [['b3', `${T}-${S}-d`]], parent(T, S)],
    ['b3 only a flag: a root span with that decision', [['b3', '0']], { kind: 'root', sampled: false }],
    ['b3 only a bad flag: no span', [['b3', 'x']], { kind: 'none', reason: 'Invalid input: invalid sampling flag x' }],
    ['b3 with a 15-digit span ID: read as a number (atoull), as Envoy does', [['b3', `${T}-${S.slice(1)}`]], parent(T, `0${S.slice(1)}`)],
    ['b3 truncated before the span ID: no span', [['b3', `${T}-`]], { kind: 'none', reason: 'Invalid input: invalid span id' }],
    ['b3 shorter than two 16-digit IDs: no span', [['b3', `${S}-${S.slice(2)}`]], { kind: 'none', reason: 'Invalid input: truncated' }],
    ['b3 too long: no span', [['b3', `${T}-${S}-1-${P}0`]], { kind: 'none', reason: 'Invalid input: too long' }],
    ['b3 with a bad sampling field: no span', [['b3', `${T}-${S}-x`]], { kind: 'none', reason: 'Invalid input: invalid sampling flag' }],
    ['b3 present and broken: no span, even beside valid X-B3-*', [['b3', 'nonsense-value-that-is-long-enough-x'], ['x-b3-traceid', T], ['x-b3-spanid', S]], { kind: 'none', reason: 'Invalid input: invalid trace id' }],
    ['b3 and X-B3-* disagree: b3 is continued', [['b3', `${'1'.repeat(32)}-${'2'.repeat(16)}-1`], ['x-b3-traceid', T], ['x-b3-spanid', S]], parent('1'.repeat(32), '2'.repeat(16))],
    ['traceparent is not read', [['traceparent', `00-${T}-${S}-01`]], { kind: 'root', sampled: true }],
  ] as Array<[string, HeaderList, Extraction]>)('%s', (_name, headers, want) => {
    expect(extractZipkin(headers, true)).toEqual(want);
  });
});

describe('the router writes the span\'s context in the tracer\'s own format only (tracer.cc / zipkin_tracer_impl.cc injectContext)', () => {
  it.each([
    ['OpenTelemetry, sampled, with tracestate', 'opentelemetry', { traceId: T, spanId: S, sampled: true, tracestate: 'a=1' }, [['traceparent', `00-${T}-${S}-01`], ['tracestate', 'a=1']]],
    ['OpenTelemetry, unsampled, tracestate written even empty', 'opentelemetry', { traceId: T, spanId: S, sampled: false }, [['traceparent', `00-${T}-${S}-00`], ['tracestate', '']]],
    ['Zipkin, a child span', 'zipkin', { traceId: T, spanId: S, parentSpanId: P, sampled: true }, [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-parentspanid', P], ['x-b3-sampled', '1']]],
    ['Zipkin, a root span: no parent header', 'zipkin', { traceId: T.slice(16), spanId: S, sampled: false }, [['x-b3-traceid', T.slice(16)], ['x-b3-spanid', S], ['x-b3-sampled', '0']]],
  ] as const)('%s', (_name, provider, span, want) => {
    expect(injectedHeaders(provider, span)).toEqual(want);
  });
});

describe('the span a tracer starts (tracer.cc startSpan, getSpanKind / getAnnotation)', () => {
  let n = 0;
  const ids = () => (++n).toString(16).padStart(16, '0');
  const root = { kind: 'root', sampled: true } as const;
  const child = { kind: 'parent', parent: { traceId: T, spanId: S, parentSpanId: P, sampled: true, tracestate: 'x=1' } } as const;

  it.each([
    ['OpenTelemetry, Ingress → SERVER', 'opentelemetry', false, 'ingress', child, { kind: 'SERVER', traceId: T, parentSpanId: S, tracestate: 'x=1', shared: false }],
    ['OpenTelemetry, Egress → CLIENT', 'opentelemetry', false, 'egress', child, { kind: 'CLIENT', traceId: T, parentSpanId: S, shared: false }],
    ['Zipkin, Ingress, shared_span_context off (Istio) → SERVER with an ID of its own', 'zipkin', false, 'ingress', child, { kind: 'SERVER', traceId: T, parentSpanId: S, shared: false }],
    ['Zipkin, Ingress, shared_span_context on → SERVER sharing the caller\'s span ID', 'zipkin', true, 'ingress', child, { kind: 'SERVER', traceId: T, spanId: S, parentSpanId: P, shared: true }],
    ['Zipkin, Egress, shared_span_context on → CLIENT with its own ID', 'zipkin', true, 'egress', child, { kind: 'CLIENT', traceId: T, parentSpanId: S, shared: false }],
  ] as const)('%s', (_name, provider, sharedSpanContext, op, ex, want) => {
    const span = startSpan({ provider, sharedSpanContext }, op, ex, ids, 'n', 1n, {})!;
    expect(span).toMatchObject(want);
    if (!want.shared) expect(span.spanId).not.toBe(S);
  });

  it('a root span: a new trace; Zipkin\'s span ID is its trace ID\'s low half (128-bit by default, 64-bit when configured)', () => {
    const otel = startSpan({ provider: 'opentelemetry' }, 'egress', root, ids, 'n', 1n, {})!;
    expect(otel.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(otel.parentSpanId).toBeUndefined();
    const z = startSpan({ provider: 'zipkin' }, 'egress', root, ids, 'n', 1n, {})!;
    expect(z.traceId).toHaveLength(32);
    expect(z.traceId.slice(16)).toBe(z.spanId);
    const z64 = startSpan({ provider: 'zipkin', traceId128Bit: false }, 'egress', root, ids, 'n', 1n, {})!;
    expect(z64.traceId).toBe(z64.spanId);
  });

  it('no span when the extractor refused the context; a 128-bit Zipkin trace ID with a zero high half stays 64-bit', () => {
    expect(startSpan({ provider: 'opentelemetry' }, 'egress', { kind: 'none', reason: 'x' }, ids, 'n', 1n, {})).toBeNull();
    const z = startSpan({ provider: 'zipkin' }, 'egress', { kind: 'parent', parent: { traceId: `${'0'.repeat(16)}${S}`, spanId: S, sampled: true } }, ids, 'n', 1n, {})!;
    expect(z.traceId).toBe(S);
  });

  it('finishing: Envoy\'s tags, then custom tags read from the request headers as they are at the end (http_tracer_impl.cc)', () => {
    const span = startSpan({ provider: 'opentelemetry' }, 'egress', root, ids, 'n', 1n, { node_id: SIDECAR_NODE })!;
    const final: HeaderList = [[':authority', 'reviews:9080'], [':path', '/reviews/0'], [':method', 'GET'], ['x-request-id', 'rid'], ['x-set-by-a-filter', 'late'], ['x-empty', '']];
    const done = finishSpan(span, final, {
      status: 503, upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local', env: { POD_NAME: 'reviews-v1' },
      customTags: { late: { header: 'x-set-by-a-filter' }, empty: { header: 'x-empty' }, absent: { header: 'x-nope' }, dflt: { header: 'x-nope', defaultValue: 'd' }, lit: { literal: 'v' }, pod: { environment: 'POD_NAME' } },
    }, 2n);
    expect(done.tags).toMatchObject({
      node_id: SIDECAR_NODE, 'guid:x-request-id': 'rid', 'http.url': 'http://reviews:9080/reviews/0', 'http.method': 'GET', component: 'proxy',
      upstream_cluster: 'outbound|9080||reviews.default.svc.cluster.local', 'http.status_code': '503', error: 'true', user_agent: '-', downstream_cluster: '-',
      late: 'late', dflt: 'd', lit: 'v', pod: 'reviews-v1',
    });
    expect(done.tags.empty).toBeUndefined();
    expect(done.tags.absent).toBeUndefined();
    expect(done.endNanos).toBe(2n);
  });
});

describe('an emulated istio-proxy around the real filter', () => {
  let t = 1_765_000_000_000_000_000n;
  const clock = () => (t += 1_000_000n);
  const proxy = (provider: 'opentelemetry' | 'zipkin', role: 'sidecar' | 'gateway' = 'sidecar') => new EmulatedProxy({
    wasm: filterBytes(), nodeId: role === 'gateway' ? GATEWAY_NODE : SIDECAR_NODE, role, tracer: { provider }, serviceName: 'reviews.default', clock,
    customTags: { 'meshtrace.kind': { header: 'x-meshtrace-kind' }, 'meshtrace.healed': { header: 'x-meshtrace-healed' } },
  });
  const ok = () => ({ status: 200 });
  const value = (h: HeaderList | null, name: string) => h?.find(([k]) => k === name)?.[1];

  it('the span starts before the filter: an outbound request without a context gets a root CLIENT span, and the router writes it over the filter\'s traceparent', () => {
    const p = proxy('opentelemetry');
    p.handle({ direction: 'inbound', headers: [[':path', '/'], ['traceparent', `00-${T}-${S}-01`], ['x-request-id', 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6']], upstreamCluster: 'inbound|9080||', upstream: ok });
    const out = p.handle({ direction: 'outbound', headers: [[':path', '/r'], ['x-request-id', 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6']], upstreamCluster: 'outbound|9080||r', upstream: ok });
    expect(out.span!.kind).toBe('CLIENT');
    expect(out.span!.parentSpanId).toBeUndefined();
    expect(out.span!.traceId).not.toBe(T);
    expect(value(out.forwarded, 'traceparent')).toBe(`00-${out.span!.traceId}-${out.span!.spanId}-01`); // the router's, not the healed one
    expect(value(out.forwarded, 'x-b3-traceid')).toBe(T); // the filter's healed context, in the other format
    expect(out.span!.tags['meshtrace.healed']).toBe('1'); // a header the filter set is a tag
    expect(out.span!.tags['meshtrace.kind']).toBe('client');
  });

  it('Zipkin: the router rewrites X-B3-* only; a b3 header the filter wrote is what the next proxy continues', () => {
    const p = new EmulatedProxy({ wasm: filterBytes(), nodeId: SIDECAR_NODE, role: 'sidecar', tracer: { provider: 'zipkin' }, serviceName: 'x', clock, pluginConfig: { propagation: ['tracecontext', 'b3', 'b3multi'] } });
    const inb = p.handle({ direction: 'inbound', headers: [[':path', '/'], ['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '1']], upstreamCluster: 'inbound|9080||', upstream: ok });
    expect(value(inb.forwarded, 'x-b3-spanid')).toBe(inb.span!.spanId);
    expect(value(inb.forwarded, 'b3')).toBe(`${T}-${S}-1`); // stale: the span's parent
    const next = extractZipkin(inb.forwarded!, true);
    expect(next).toMatchObject({ kind: 'parent', parent: { spanId: S } }); // the next Envoy skips this proxy's span
  });

  it('x-request-id: generated and marked sampled (index 14) before the tracer; a gateway replaces a caller\'s', () => {
    const p = proxy('opentelemetry');
    const r = p.handle({ direction: 'outbound', headers: [[':path', '/']], upstreamCluster: 'outbound|9080||r', upstream: ok });
    expect(value(r.forwarded, 'x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-9[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const g = proxy('opentelemetry', 'gateway').handle({ direction: 'inbound', headers: [[':path', '/'], ['x-request-id', 'from-outside']], upstreamCluster: 'outbound|9080||pp', upstream: ok });
    expect(value(g.forwarded, 'x-request-id')).not.toBe('from-outside');
    expect(g.span!.kind).toBe('CLIENT'); // Istio's gateway listeners are Egress
    expect(g.span!.tags['meshtrace.kind']).toBe('server'); // what the istio processor corrects it with
  });

  it('x-forwarded-client-cert: set on a sidecar\'s inbound request over mutual TLS, removed from any other', () => {
    const p = proxy('opentelemetry');
    const forged: [string, string] = ['x-forwarded-client-cert', 'By=forged'];
    const mtls = p.handle({ direction: 'inbound', headers: [[':path', '/']], upstreamCluster: 'inbound|9080||', peerIdentity: 'spiffe://cluster.local/ns/default/sa/productpage', upstream: ok });
    expect(value(mtls.forwarded, 'x-forwarded-client-cert')).toMatch(/URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/productpage$/);
    expect(value(p.handle({ direction: 'inbound', headers: [[':path', '/'], forged], upstreamCluster: 'inbound|9080||', upstream: ok }).forwarded, 'x-forwarded-client-cert')).toBeUndefined();
    expect(value(p.handle({ direction: 'outbound', headers: [[':path', '/'], forged], upstreamCluster: 'outbound|9080||r', upstream: ok }).forwarded, 'x-forwarded-client-cert')).toBeUndefined();
  });

  it('an invalid traceparent: the OpenTelemetry tracer starts no span (nothing buffered, nothing written)', () => {
    const p = proxy('opentelemetry');
    const r = p.handle({ direction: 'inbound', headers: [[':path', '/'], ['traceparent', '00-zz']], upstreamCluster: 'inbound|9080||', upstream: ok });
    expect(r.span).toBeNull();
    expect(value(r.forwarded, 'traceparent')).toBeUndefined(); // the filter removed it, no span wrote one
    expect(p.flush(r.worker)).toEqual([]);
  });

  it('spans are buffered per worker and flushed as the tracers send them (OTLP/JSON, Zipkin v2)', () => {
    const p = proxy('zipkin');
    const a = p.handle({ direction: 'inbound', headers: [[':path', '/']], upstreamCluster: 'inbound|9080||', upstream: ok, worker: 0 });
    const b = p.handle({ direction: 'inbound', headers: [[':path', '/']], upstreamCluster: 'inbound|9080||', upstream: ok, worker: 1 });
    const w0 = p.flush(0);
    expect(w0.map((s) => s.spanId)).toEqual([a.span!.spanId]);
    expect(p.flush(1).map((s) => s.spanId)).toEqual([b.span!.spanId]);
    expect(p.flush(0)).toEqual([]);
    expect(zipkinV2(w0, 'reviews.default')[0]).toMatchObject({ traceId: a.span!.traceId, id: a.span!.spanId, kind: 'SERVER', localEndpoint: { serviceName: 'reviews.default' } });
    const otlp = otlpJsonRequest(w0, 'reviews.default') as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
    expect(otlp.resourceSpans[0]!.scopeSpans[0]!.spans[0]).toMatchObject({ traceId: a.span!.traceId, spanId: a.span!.spanId, kind: 2 });
  });

  it('a request nested on a proxy takes another worker; with every worker busy it is refused with a clear error', () => {
    const p = proxy('opentelemetry');
    const nested = () => p.handle({ direction: 'outbound', headers: [[':path', '/']], upstreamCluster: 'outbound|9080||r', upstream: () => nested() && ok() });
    expect(() => nested()).toThrow('every worker is busy');
  });
});
