import { describe, expect, it } from 'vitest';
import { anyValueToJs, findAttr, getStringAttr, idToHex, SpanKind, type Span, type TraceData } from '../../pdata/model.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { fixtureModel, zipkinToModel } from '../../../test/fixtures/envoy/load.js';
import { EXPECTED, TOUCHED_ATTRIBUTES } from '../../../test/fixtures/envoy/expected.js';
import { defaultIstioProcessorConfig, type IstioProcessorConfig } from './config.js';
import { IstioProcessor } from './processor.js';
import type { TraceConsumer } from '../../component/component.js';
import type { Logger } from '../../telemetry/logger.js';

const S = SpanKind.SERVER;
const C = SpanKind.CLIENT;

class Sink implements TraceConsumer {
  received: TraceData[] = [];
  async consumeTraces(td: TraceData): Promise<void> {
    this.received.push(td);
  }
}

function run(td: TraceData, overrides: Partial<IstioProcessorConfig> = {}): TraceData {
  new IstioProcessor({ ...defaultIstioProcessorConfig(), ...overrides }, new Sink()).process(td);
  return td;
}

interface Found {
  span: Span;
  service: string | undefined;
}

/** Every span by its hex span ID, with its resource's service.name. */
function bySpanId(td: TraceData): Map<string, Found> {
  const m = new Map<string, Found>();
  for (const rs of td.resourceSpans) {
    const service = getStringAttr(rs.resource?.attributes, 'service.name');
    for (const ss of rs.scopeSpans) for (const span of ss.spans) m.set(idToHex(span.spanId), { span, service });
  }
  return m;
}

function attrsOf(span: Span): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of span.attributes) o[kv.key] = anyValueToJs(kv.value);
  return o;
}

describe('IstioProcessor on Envoy-shaped fixtures', () => {
  it.each(EXPECTED)('%s span %s', (fixture, spanId, want) => {
    const before = bySpanId(fixtureModel(fixture)).get(spanId)!;
    const after = bySpanId(run(fixtureModel(fixture))).get(spanId)!;
    expect(after, `span ${spanId} in ${fixture}`).toBeDefined();
    expect(after.span.kind).toBe(want.kind);
    expect(after.service).toBe(want.service);
    const got = attrsOf(after.span);
    for (const [k, v] of Object.entries(want.attrs)) expect(got[k], k).toEqual(v);
    // Everything the rules do not name is exactly as it was.
    const touched = TOUCHED_ATTRIBUTES;
    const orig = attrsOf(before.span);
    for (const [k, v] of Object.entries(orig)) if (!touched.has(k)) expect(got[k], k).toEqual(v);
    for (const k of Object.keys(got)) if (!touched.has(k)) expect(k in orig, `added ${k}`).toBe(true);
    expect(idToHex(after.span.traceId)).toBe(idToHex(before.span.traceId));
    expect(after.span.name).toBe(before.span.name);
    expect(after.span.startTimeUnixNano).toEqual(before.span.startTimeUnixNano);
  });

  it('covers every fixture span', () => {
    const covered = new Set(EXPECTED.map(([, id]) => id));
    for (const name of new Set(EXPECTED.map(([f]) => f))) {
      for (const id of bySpanId(fixtureModel(name)).keys()) expect(covered.has(id), `${name} ${id}`).toBe(true);
    }
  });

  it('leaves SDK spans byte-for-byte unchanged', () => {
    const td = fixtureModel('sdk-spans');
    const before = Buffer.from(encodeTraceRequest(td));
    run(td);
    expect(Buffer.from(encodeTraceRequest(td)).equals(before)).toBe(true);
  });

  it('is idempotent: a second pass changes nothing', () => {
    for (const name of ['ingress-gateway', 'productpage-sidecar', 'stale-and-forged', 'generic-service-name'] as const) {
      const td = run(fixtureModel(name));
      const once = Buffer.from(encodeTraceRequest(td));
      run(td);
      expect(Buffer.from(encodeTraceRequest(td)).equals(once), name).toBe(true);
    }
  });

  it('works on spans decoded from OTLP protobuf (protobufjs message objects)', () => {
    const td = decodeTraceRequest(encodeTraceRequest(fixtureModel('productpage-sidecar')));
    run(td);
    const spans = bySpanId(td);
    expect(spans.get('1b3d5f7a9c2e4a6c')!.span.kind).toBe(S);
    const out = spans.get('2c4e6a8c0e2a4c6e')!.span;
    expect(anyValueToJs(findAttr(out.attributes, 'http.status_code'))).toBe(200);
    expect(getStringAttr(out.attributes, 'peer.service')).toBe('reviews');
    // and the corrected data encodes again
    const again = decodeTraceRequest(encodeTraceRequest(td));
    expect(anyValueToJs(findAttr(again.resourceSpans[0].scopeSpans[0].spans[1].attributes, 'http.status_code'))).toBe(200);
  });
});

describe('IstioProcessor toggles', () => {
  const gateway = () => fixtureModel('ingress-gateway');
  const outbound = () => fixtureModel('productpage-sidecar');
  const first = (td: TraceData, i = 0) => td.resourceSpans[0].scopeSpans[0].spans[i];

  it.each([
    ['correct_span_kind', (td: TraceData) => first(td).kind, C, S],
    ['record_direction', (td: TraceData) => getStringAttr(first(td).attributes, 'meshtrace.direction'), undefined, 'inbound'],
    ['convert_status_code', (td: TraceData) => anyValueToJs(findAttr(first(td).attributes, 'http.status_code')), '200', 200],
    ['rename_user_agent', (td: TraceData) => getStringAttr(first(td).attributes, 'user_agent.original'), undefined, 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'],
  ] as const)('%s: false leaves it, true corrects it', (key, read, off, on) => {
    expect(read(run(gateway(), { [key]: false }))).toEqual(off);
    expect(read(run(gateway(), { [key]: true }))).toEqual(on);
  });

  it('set_peer_service', () => {
    expect(getStringAttr(first(run(outbound(), { set_peer_service: false }), 1).attributes, 'peer.service')).toBeUndefined();
    expect(getStringAttr(first(run(outbound()), 1).attributes, 'peer.service')).toBe('reviews');
  });

  it('set_peer_service uses the span kind as sent when kind correction is off and nothing tells', () => {
    const td = zipkinToModel([{ traceId: 'ab'.repeat(16), id: '01'.repeat(8), kind: 'CLIENT', tags: { 'upstream_cluster.name': 'outbound|80||web.shop.svc.cluster.local', upstream_cluster: 'x' } }]);
    expect(getStringAttr(first(run(td, { correct_span_kind: false })).attributes, 'peer.service')).toBe('web');
  });

  it('never overwrites an existing peer.service', () => {
    const td = zipkinToModel([{ traceId: 'ab'.repeat(16), id: '01'.repeat(8), kind: 'CLIENT', tags: { upstream_cluster: 'outbound|80||web.shop.svc.cluster.local', 'peer.service': 'frontend-api' } }]);
    const attrs = first(run(td)).attributes;
    expect(attrs.filter((a) => a.key === 'peer.service').map((a) => a.value?.stringValue)).toEqual(['frontend-api']);
  });

  it('service_name_from_canonical: false keeps the generic name', () => {
    const td = run(fixtureModel('generic-service-name'), { service_name_from_canonical: false });
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('istio-proxy');
  });

  it('generic_service_names decides which names are replaced', () => {
    const td = run(fixtureModel('generic-service-name'), { generic_service_names: ['envoy'] });
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('istio-proxy');
    const td2 = run(fixtureModel('productpage-sidecar'), { generic_service_names: ['productpage.*'] });
    expect(getStringAttr(td2.resourceSpans[0].resource?.attributes, 'service.name')).toBe('productpage.bookinfo');
  });
});

describe('IstioProcessor service.name per resource', () => {
  const tags = (canonical: string | undefined, ns: string | undefined) => ({
    component: 'proxy',
    upstream_cluster: 'inbound|9080||',
    ...(canonical !== undefined ? { 'istio.canonical_service': canonical } : {}),
    ...(ns !== undefined ? { 'istio.namespace': ns } : {}),
  });
  const z = (id: string, service: string | undefined, t: Record<string, string>) => ({
    traceId: 'cd'.repeat(16),
    id,
    kind: 'CLIENT' as const,
    localEndpoint: service === undefined ? undefined : { serviceName: service },
    tags: t,
  });

  it.each([
    ['empty name', ''],
    ['no localEndpoint', undefined],
    ['unknown_service:envoy', 'unknown_service:envoy'],
    ['istio-proxy', 'istio-proxy'],
    ['istio-proxy.bookinfo', 'istio-proxy.bookinfo'],
  ])('replaces a generic name (%s) by <canonical>.<namespace>', (_n, service) => {
    const td = run(zipkinToModel([z('0000000000000001', service, tags('ratings', 'bookinfo'))]));
    expect(td.resourceSpans).toHaveLength(1);
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('ratings.bookinfo');
  });

  it('uses the canonical service alone when the namespace is missing', () => {
    const td = run(zipkinToModel([z('0000000000000001', 'istio-proxy', tags('ratings', undefined))]));
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('ratings');
  });

  it('keeps a specific name even when the canonical service differs', () => {
    const td = run(zipkinToModel([z('0000000000000001', 'my-ratings', tags('ratings', 'bookinfo'))]));
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('my-ratings');
  });

  it('keeps a generic name when no span names a canonical service', () => {
    const td = run(zipkinToModel([z('0000000000000001', 'istio-proxy', tags(undefined, 'bookinfo'))]));
    expect(td.resourceSpans).toHaveLength(1);
    expect(getStringAttr(td.resourceSpans[0].resource?.attributes, 'service.name')).toBe('istio-proxy');
  });

  it('leaves a generic resource of SDK spans exactly as it was (no split, empty scopes kept)', () => {
    const td = zipkinToModel([z('0000000000000001', 'unknown_service:node', { 'http.method': 'GET' })]);
    td.resourceSpans[0].scopeSpans.push({ scope: { name: 'idle' }, spans: [] });
    const before = Buffer.from(encodeTraceRequest(td));
    const scopes = td.resourceSpans[0].scopeSpans;
    run(td);
    expect(td.resourceSpans[0].scopeSpans).toBe(scopes);
    expect(Buffer.from(encodeTraceRequest(td)).equals(before)).toBe(true);
  });

  it('splits a generic resource whose spans come from different workloads, keeping the rest', () => {
    const td: TraceData = zipkinToModel([
      z('0000000000000001', 'istio-proxy', tags('ratings', 'bookinfo')),
      z('0000000000000002', 'istio-proxy', tags('reviews', 'bookinfo')),
      z('0000000000000003', 'istio-proxy', tags('ratings', 'bookinfo')),
      z('0000000000000004', 'istio-proxy', { 'http.method': 'GET' }), // SDK span: stays
      z('0000000000000005', 'productpage.bookinfo', tags('productpage', 'bookinfo')),
    ]);
    td.resourceSpans[0].resource!.attributes.push({ key: 'k8s.cluster.name', value: { stringValue: 'east' } });
    run(td);
    const byService = new Map<string | undefined, string[]>();
    for (const rs of td.resourceSpans) {
      const name = getStringAttr(rs.resource?.attributes, 'service.name');
      const ids = rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => idToHex(s.spanId)));
      byService.set(name, [...(byService.get(name) ?? []), ...ids]);
      if (name !== 'productpage.bookinfo') expect(getStringAttr(rs.resource?.attributes, 'k8s.cluster.name')).toBe('east');
      for (const ss of rs.scopeSpans) expect(ss.scope?.name).toBe('zipkin');
    }
    expect(Object.fromEntries(byService)).toEqual({
      'istio-proxy': ['0000000000000004'],
      'productpage.bookinfo': ['0000000000000005'],
      'ratings.bookinfo': ['0000000000000001', '0000000000000003'],
      'reviews.bookinfo': ['0000000000000002'],
    });
    // every span still there, once
    expect(td.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0)).toBe(5);
  });

  it('drops the emptied resource when every span moved out', () => {
    const td = run(zipkinToModel([
      z('0000000000000001', '', tags('ratings', 'bookinfo')),
      z('0000000000000002', '', tags('reviews', 'bookinfo')),
    ]));
    expect(td.resourceSpans.map((rs) => getStringAttr(rs.resource?.attributes, 'service.name')).sort()).toEqual([
      'ratings.bookinfo',
      'reviews.bookinfo',
    ]);
  });
});

describe('IstioProcessor as a pipeline component', () => {
  it('passes the corrected data to the next consumer and reports counts per request', async () => {
    const sink = new Sink();
    const seen: Record<string, number>[] = [];
    const p = new IstioProcessor(defaultIstioProcessorConfig(), sink, { onCounts: (c) => seen.push({ ...c }) });
    const td = fixtureModel('productpage-sidecar');
    await p.consumeTraces(td);
    expect(sink.received).toEqual([td]);
    expect(seen).toEqual([{ spanKind: 1, direction: 3, peerService: 2, statusCode: 3, userAgent: 3, serviceName: 0, waypointService: 0, waypointClient: 0 }]);
    await p.consumeTraces(fixtureModel('sdk-spans'));
    expect(seen[1]).toEqual({ spanKind: 0, direction: 0, peerService: 0, statusCode: 0, userAgent: 0, serviceName: 0, waypointService: 0, waypointClient: 0 });
  });

  it('passes a request it cannot process on unchanged rather than losing it, and logs why', async () => {
    const sink = new Sink();
    const logged: string[] = [];
    const logger = { error: (_o: unknown, msg: string) => logged.push(msg) } as unknown as Logger;
    const p = new IstioProcessor(defaultIstioProcessorConfig(), sink, { logger });
    const broken = { resourceSpans: [{ resource: null, scopeSpans: null }] } as unknown as TraceData;
    await p.consumeTraces(broken);
    expect(sink.received).toEqual([broken]);
    expect(logged).toEqual(['istio processor failed on a request; passing it on uncorrected']);
  });

  it('propagates a refusal of the next consumer', async () => {
    const err = new Error('queue full');
    const p = new IstioProcessor(defaultIstioProcessorConfig(), { consumeTraces: () => Promise.reject(err) });
    await expect(p.consumeTraces(fixtureModel('ingress-gateway'))).rejects.toBe(err);
  });
});
