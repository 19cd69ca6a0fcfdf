import { describe, expect, it } from 'vitest';
import { NOW_MS, NOW_SEC, resource, span, traces } from '../testdata/build.js';
import { createDocumentTranslator, translateTraceData } from './translate.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './fit.js';
import { documentJson } from './document-writer.js';
import { makeSegments } from './segment.js';
import { SpanKind } from '../../../pdata/model.js';
import { decodeZipkinJson } from '../../../receiver/zipkinreceiver/json-decode.js';
import { zipkinToTraceData } from '../../../receiver/zipkinreceiver/translate.js';

describe('translateTraceData', () => {
  const td = {
    resourceSpans: [
      { resource: resource({ 'service.name': 'a' }), scopeSpans: [{ scope: { name: 's1' }, spans: [span({ spanId: '0000000000000001' }), span({ spanId: '0000000000000002' })] }] },
      { resource: resource({ 'service.name': 'b' }), scopeSpans: [{ scope: { name: 's2' }, spans: [span({ spanId: '0000000000000003' })] }] },
    ],
  };
  const opts = {
    mode: 'rewrite' as const, windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set<string>(),
    indexAllAttributes: false, meshAnnotations: true, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
  };

  it('one document per span, each with the span it came from', () => {
    const r = translateTraceData(td, opts);
    expect(r.documents.map((d) => d.id)).toEqual(['0000000000000001', '0000000000000002', '0000000000000003']);
    expect(r.sources).toEqual([td.resourceSpans[0].scopeSpans[0].spans[0], td.resourceSpans[0].scopeSpans[0].spans[1], td.resourceSpans[1].scopeSpans[0].spans[0]]);
    expect(r.sources[2]).toBe(td.resourceSpans[1].scopeSpans[0].spans[0]);
    expect(r.documents.some((d) => d.extra)).toBe(false);
    // Each document is its segment's JSON exactly, escaped as PutTraceSegments carries it.
    const spans = td.resourceSpans.flatMap((rs) => rs.scopeSpans[0].spans.map((s) => [s, rs.resource] as const));
    r.documents.forEach((d, i) => {
      const seg = makeSegments(spans[i][0], spans[i][1], opts);
      expect(seg.ok && documentJson(d.data)).toBe(seg.ok && JSON.stringify(seg.docs[0]));
      expect(d.data.toString('utf8')).toBe(JSON.stringify(documentJson(d.data)).slice(1, -1));
    });
    // Views into one buffer for the whole batch.
    expect(new Set(r.documents.map((d) => d.data.buffer)).size).toBe(1);
  });

  it('a split local root is written whole or not at all: its call is taken back when its caller does not fit', () => {
    // The caller's segment carries service.version (segments only), too long to fit; the call (a
    // subsegment) alone would fit. The span is dropped, and the next span's document is intact.
    const split = { resource: resource({ 'service.name': 'job', 'service.version': 'v'.repeat(3000) }), scopeSpans: [{ scope: { name: 's' }, spans: [span({ spanId: '0000000000000001', kind: SpanKind.CLIENT })] }] };
    const r = translateTraceData({ resourceSpans: [split, td.resourceSpans[1]] }, { ...opts, maxDocumentBytes: 2000 });
    expect(r.dropped.get('document_too_large')?.count).toBe(1);
    expect(r.documents.map((d) => d.id)).toEqual(['0000000000000003']);
    expect(r.sources).toEqual([td.resourceSpans[1].scopeSpans[0].spans[0]]);
    expect(JSON.parse(documentJson(r.documents[0].data)).id).toBe('0000000000000003');
    expect(r.spans).toBe(1);
  });
});

describe('createDocumentTranslator (for the benchmark)', () => {
  it('turns a TraceData into PutTraceSegments documents without I/O, one epoch per trace', () => {
    const translate = createDocumentTranslator({ now: () => NOW_MS });
    const docs = translate(traces(resource(), [span({ spanId: '0000000000000001' }), span({ spanId: '0000000000000002', startSec: NOW_SEC - 1 })]));
    expect(docs.length).toBe(2);
    const [a, b] = docs.map((d) => JSON.parse(documentJson(d)));
    expect(a.trace_id).toBe(b.trace_id);
    expect(a.annotations.otel_trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('Envoy spans received as Zipkin with 64-bit B3 trace IDs', () => {
  it('otel_trace_id is the 16 hex digits of x-b3-traceid, so a search for it finds the trace', () => {
    const body = JSON.stringify([
      { traceId: 'a3ce929d0e0e4736', id: '00f067aa0ba902b7', kind: 'SERVER', name: 'reviews:9080/*', timestamp: (NOW_SEC - 10) * 1e6, duration: 2500, localEndpoint: { serviceName: 'reviews.default' }, tags: { 'http.status_code': '200' } },
      { traceId: '00000000000000004bf92f3577b34da6', id: '00f067aa0ba902b8', kind: 'SERVER', name: 'x', timestamp: (NOW_SEC - 10) * 1e6, duration: 1, localEndpoint: { serviceName: 'x' } },
    ]);
    const td = zipkinToTraceData(decodeZipkinJson(body).spans, false);
    const docs = createDocumentTranslator({ now: () => NOW_MS })(td).map((d) => JSON.parse(documentJson(d)));
    expect(docs.map((d) => d.annotations.otel_trace_id)).toEqual(['a3ce929d0e0e4736', '4bf92f3577b34da6']);
    expect(docs[0].trace_id).toMatch(/^1-[0-9a-f]{8}-00000000a3ce929d0e0e4736$/);
  });
});

describe('span links (upstream span_links_test.go, as facts)', () => {
  const opts = {
    mode: 'passthrough' as const, windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set<string>(),
    indexAllAttributes: false, meshAnnotations: true, maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
  };
  const linksOf = (links: Parameters<typeof span>[0]['links']) =>
    JSON.parse(documentJson(translateTraceData(traces(resource(), [span({ links })]), opts).documents[0]!.data)).links;
  const T1 = '5759e988bd862e3fe1be46a994272793';
  const T2 = '6759e988bd862e3fe1be46a994272794';

  it('no links: no links field (TestSpanLinkEmpty)', () => {
    expect(linksOf(undefined)).toBeUndefined();
    expect(linksOf([])).toBeUndefined();
  });

  it('one link (TestSpanLinkSimple)', () => {
    expect(linksOf([{ traceId: Buffer.from(T1, 'hex'), spanId: Buffer.from('1112131415161718', 'hex') }])).toEqual([{ trace_id: `1-${T1.slice(0, 8)}-${T1.slice(8)}`, id: '1112131415161718' }]);
  });

  it('two links keep their order (TestTwoSpanLinks)', () => {
    const links = linksOf([
      { traceId: Buffer.from(T1, 'hex'), spanId: Buffer.from('1112131415161718', 'hex'), attributes: [{ key: 'myKey1', value: { stringValue: 'myValue' } }] },
      { traceId: Buffer.from(T2, 'hex'), spanId: Buffer.from('1112131415161719', 'hex'), attributes: [{ key: 'myKey2', value: { intValue: 1 } }] },
    ]);
    expect(links).toEqual([
      { trace_id: `1-${T1.slice(0, 8)}-${T1.slice(8)}`, id: '1112131415161718', attributes: { myKey1: 'myValue' } },
      { trace_id: `1-${T2.slice(0, 8)}-${T2.slice(8)}`, id: '1112131415161719', attributes: { myKey2: 1 } },
    ]);
  });

  it('attribute values of every type (TestSpanLinkComplexAttributes)', () => {
    const [link] = linksOf([{ traceId: Buffer.from(T1, 'hex'), spanId: Buffer.from('1112131415161718', 'hex'), attributes: [
      { key: 'myKey1', value: { stringValue: 'myValue' } },
      { key: 'myKey2', value: { boolValue: true } },
      { key: 'myKey3', value: { intValue: 112233 } },
      { key: 'myKey4', value: { doubleValue: 3.1 } },
      { key: 'myKey5', value: { arrayValue: { values: [{ stringValue: 'apple' }, { stringValue: 'pear' }, { stringValue: 'banana' }] } } },
      { key: 'myKey6', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
      { key: 'myKey7', value: { arrayValue: { values: [{ intValue: 1 }, { intValue: 2 }] } } },
      { key: 'myKey8', value: { arrayValue: { values: [{ doubleValue: 1.1 }, { doubleValue: 2.2 }] } } },
    ] }]);
    expect(link.attributes).toEqual({ myKey1: 'myValue', myKey2: true, myKey3: 112233, myKey4: 3.1, myKey5: ['apple', 'pear', 'banana'], myKey6: [true, false], myKey7: [1, 2], myKey8: [1.1, 2.2] });
  });
});
