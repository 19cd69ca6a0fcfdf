import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../../test/seeded-rng.js';
import { SpanKind, type Span } from '../../../pdata/model.js';
import { NOW_SEC, SPAN_2, TRACE_A, attrs, hex, nanos, resource, span } from '../testdata/build.js';
import { DocumentWriter, documentJson, embeddedJsonBytes } from './document-writer.js';
import { makeSegments, type SegmentDocument, type SegmentOptions } from './segment.js';

/** What the PutTraceSegments body held before: the JSON text escaped by JSON.stringify again. */
const reference = (v: unknown) => JSON.stringify(JSON.stringify(v)).slice(1, -1);

function written(v: unknown, initialBytes?: number): Buffer {
  const w = new DocumentWriter(initialBytes);
  w.write(v);
  return w.take();
}

const withOwnProto = (() => {
  const o: Record<string, unknown> = { a: 1 };
  Object.defineProperty(o, '__proto__', { value: 'own', enumerable: true, writable: true, configurable: true });
  o.z = 2;
  return o;
})();

describe('DocumentWriter: byte for byte JSON.stringify, escaped once more for the request body', () => {
  it.each<[string, unknown]>([
    ['empty string', ''],
    ['plain ASCII', 'reviews.bookinfo.svc.cluster.local:9080/*'],
    ['39 characters (JS copy)', 'x'.repeat(39)],
    ['40 characters (native copy)', 'x'.repeat(40)],
    ['a quote', 'say "hi"'],
    ['a long string with a quote at the end', `${'x'.repeat(40)}"`],
    ['backslashes', 'C:\\Program Files\\x'],
    ['short escapes', '\n\t\r\b\f'],
    ['other control characters', '\u0000\u0001\u001f'],
    ['DEL', 'a\u007fb'],
    ['Latin-1 letters (long)', 'é'.repeat(40)],
    ['CJK', '日本語のスパン'],
    ['a surrogate pair', 'emoji 😀'],
    ['lone surrogates', 'a\ud800b\udc00c'],
    ['U+2028 and U+2029', 'line\u2028para\u2029'],
    ['numbers', [0, -0, 1.5, -2, 1e21, 1e-7, 1796520874.171, 1796520874.1735, Number.MAX_SAFE_INTEGER, 5e-324]],
    ['non-finite numbers', [NaN, Infinity, -Infinity]],
    ['literals', [true, false, null]],
    ['empty containers', { a: {}, b: [] }],
    ['undefined, functions and symbols in arrays become null', [undefined, () => 1, Symbol('s'), 1]],
    ['undefined, functions and symbols in objects are left out', { a: undefined, f: () => 1, s: Symbol('s'), b: 1, c: undefined }],
    ['only left-out members', { a: undefined, f: () => 1 }],
    ['integer keys first, ascending, then insertion order', { b: 1, 2: 'two', a: 2, 1: 'one', '-1': 'neg', '01': 'lead' }],
    ['keys that need escaping', { 'a"b': 1, 'c\\d': 2, 'ключ': 3, '': 4, 'x\ny': 5, 'long key that is over twenty-four characters': 6 }],
    ['an own __proto__ entry', withOwnProto],
    ['toJSON (Date)', { at: new Date(Date.UTC(2026, 11, 6)) }],
    ['toJSON (Buffer)', { b: Buffer.from([1, 2, 3]) }],
    ['nesting', { http: { request: { method: 'GET', url: 'http://x/"q"' }, response: { status: 200 } }, list: [[1, [2, { x: 'y' }]]] }],
    [
      'a segment document',
      {
        name: 'ratings.bookinfo.svc.cluster.local', id: 'a3778f28f690e35b', trace_id: '1-6b14bb7f-1336810fc17099ec6bb0ba7a',
        start_time: 1796520874.171, end_time: 1796520874.1735, fault: false, error: true, throttle: false, parent_id: '5eb8ad48ab263c90',
        type: 'subsegment', namespace: 'remote', http: { request: { method: 'GET', url: 'http://reviews:9080/api/v1/items/1' }, response: { status: 404, content_length: 13 } },
        annotations: { otel_trace_id: '8ec0fc2a1336810fc17099ec6bb0ba7a', upstream_cluster: 'outbound|9080||ratings' },
        metadata: { default: { node_id: 'sidecar~10.244.0.23~reviews-v1.bookinfo~bookinfo.svc.cluster.local', 'guid:x-request-id': 'aed8' } },
      },
    ],
  ])('%s', (_name, value) => {
    const data = written(value);
    expect(data.toString('utf8')).toBe(reference(value));
    expect(documentJson(data)).toBe(JSON.stringify(value));
    expect(embeddedJsonBytes(data)).toBe(Buffer.byteLength(JSON.stringify(value)));
    // The same from a buffer too small for it (growth on every path).
    expect(written(value, 1).equals(data)).toBe(true);
  });

  it('numbers print as JSON.stringify prints them: segment times (µs precision) and everything around them', () => {
    const rng = seededRng(20261206);
    const values: number[] = [1e-6, 0.5, 0.000123, 1.1, 9.999999, 1796520874.171, 1796520874.1735, 1796520874.000001, 2 ** 33 - 0.5, 2 ** 33 + 0.5, 2 ** 34 + 0.25, 1e-7, 1.0000005, 0.1 + 0.2, -1.5, 123, 2 ** 31 + 0.5];
    for (let i = 0; i < 20_000; i++) {
      const us = Math.floor(rng.next() * 2 ** 53);
      values.push(us / 1e6, Math.round((1.7e18 + rng.next() * 1e17) / 1000) / 1e6, rng.next() * 1e6, rng.next());
    }
    const w = new DocumentWriter();
    w.write(values);
    expect(documentJson(w.take())).toBe(JSON.stringify(values));
  });

  it('a BigInt throws as JSON.stringify does', () => {
    expect(() => written({ n: 10n })).toThrow(TypeError);
  });

  it('keys stay right across the key cache being emptied (more distinct keys than it holds)', () => {
    const w = new DocumentWriter();
    const docs = Array.from({ length: 3 }, (_, round) => Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, round])));
    for (const d of docs) w.write(d);
    expect(w.take().toString('utf8')).toBe(docs.map(reference).join(''));
  });

  it('documents follow each other; truncate forgets the tail; take empties the writer', () => {
    const w = new DocumentWriter();
    w.write({ a: 1 });
    const mark = w.length;
    w.write({ b: 'long text '.repeat(10) });
    expect(w.jsonBytesSince(mark)).toBe(Buffer.byteLength(JSON.stringify({ b: 'long text '.repeat(10) })));
    w.truncate(mark);
    w.write({ c: 3 });
    expect(w.take().toString('utf8')).toBe(reference({ a: 1 }) + reference({ c: 3 }));
    expect(w.length).toBe(0);
    expect(w.take().length).toBe(0);
  });
});

describe('DocumentWriter.writeSegment: the bytes write() gives for every document makeSegments builds', () => {
  const opts: SegmentOptions = { mode: 'rewrite', windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set(['http.method']), indexAllAttributes: false, meshAnnotations: true };
  const JAVA = 'java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: io\n\tat d.E.f(E.java:2)';
  const spans: Array<[string, Span]> = [
    ['Envoy inbound SERVER', span({ kind: SpanKind.SERVER, parentSpanId: SPAN_2, attributes: { upstream_cluster: 'inbound|9080||', 'http.method': 'GET', 'http.url': 'http://reviews:9080/r/1', 'http.status_code': '200', 'istio.canonical_service': 'reviews', node_id: 'sidecar~10.0.0.1~r.ns~ns.svc.cluster.local' } })],
    ['Envoy root CLIENT (split in two)', span({ kind: SpanKind.CLIENT, attributes: { upstream_cluster: 'outbound|9080||ratings.ns.svc.cluster.local', 'http.status_code': '503', response_flags: 'UF' }, status: { code: 2 } })],
    ['SDK SERVER with an exception chain', span({ kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': '/o', 'enduser.id': 'u1', 'aws.xray.metadata.app': '{"k":1}' }, status: { code: 2, message: 'boom' }, events: [{ name: 'exception', timeUnixNano: nanos(NOW_SEC - 9), attributes: attrs({ 'exception.type': 'java.lang.IllegalStateException', 'exception.message': 'boom', 'exception.stacktrace': JAVA }) }, { name: 'cache miss', timeUnixNano: nanos(NOW_SEC - 9.5), attributes: attrs({ key: 'o-1' }) }] })],
    ['AWS SDK CLIENT', span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'rpc.system': 'aws-api', 'rpc.service': 'DynamoDB', 'rpc.method': 'GetItem', 'aws.request_id': 'R1', 'aws.dynamodb.table_names': ['orders'] } })],
    ['SQL CLIENT', span({ kind: SpanKind.CLIENT, parentSpanId: SPAN_2, attributes: { 'db.system': 'postgresql', 'db.name': 'shop', 'db.statement': 'SELECT 1', 'db.user': 'app' } })],
    ['links and odd keys', span({ kind: SpanKind.CONSUMER, parentSpanId: SPAN_2, links: [{ traceId: hex(TRACE_A), spanId: hex(SPAN_2), attributes: attrs({ 'link.kind': 'batch' }) }], attributes: { '2': 'integer-like key', 'quote"key': 'v\\"', 'ключ': 'значение', __proto__x: 1, n: 1.5, b: true } })],
    ['no end time', span({ kind: SpanKind.INTERNAL, parentSpanId: SPAN_2, endSec: 0 })],
    ['LOCAL_ROOT with aws.local.service', span({ kind: SpanKind.CLIENT, attributes: { 'aws.span.kind': 'LOCAL_ROOT', 'aws.local.service': 'jobs', 'aws.remote.service': 'billing' } })],
  ];
  const res = resource({ 'service.name': 'reviews', 'service.version': '1.2', 'cloud.provider': 'aws', 'cloud.platform': 'aws_eks', 'telemetry.sdk.language': 'java' });
  const docs = spans.flatMap(([name, s]) => {
    const r = makeSegments(s, res, opts);
    if (!r.ok) throw new Error(`${name}: ${r.reason}`);
    return r.docs.map((d, i) => [`${name}${r.docs.length > 1 ? ` (document ${i + 1})` : ''}`, d] as const);
  });

  it.each(docs)('%s', (_name, doc) => {
    const generic = new DocumentWriter();
    generic.write(doc);
    const special = new DocumentWriter(1);
    special.writeSegment(doc);
    const bytes = special.take();
    expect(bytes.equals(generic.take())).toBe(true);
    expect(JSON.parse(documentJson(bytes))).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('a document with every field, in the order SegmentDocument declares them', () => {
    const full: SegmentDocument = {
      name: 'n', id: SPAN_2, trace_id: '1-5759e988-bd862e3fe1be46a994272793', start_time: 1.5, end_time: 2.25, parent_id: 'p', type: 'subsegment', namespace: 'remote',
      origin: 'AWS::EKS::Container', user: 'u', fault: true, error: false, throttle: false,
      cause: { exceptions: [{ id: 'e1', message: 'm' }] }, http: { request: { method: 'GET' } }, sql: { url: 'x' }, aws: { operation: 'Op' },
      service: { version: '1' }, links: [{ trace_id: 't', id: 'i' }], annotations: { a: 1 }, metadata: { default: { k: 'v' } },
    } as SegmentDocument;
    const w = new DocumentWriter();
    w.writeSegment(full);
    expect(Object.keys(JSON.parse(documentJson(w.take())))).toEqual([
      'name', 'id', 'trace_id', 'start_time', 'end_time', 'fault', 'error', 'throttle', 'parent_id', 'type', 'namespace', 'origin', 'user',
      'cause', 'http', 'sql', 'aws', 'service', 'links', 'annotations', 'metadata',
    ]);
  });

  it('optional fields set to undefined are left out, as JSON.stringify leaves them out', () => {
    const [, doc] = docs[0]!;
    const withHoles: SegmentDocument = { ...doc, parent_id: undefined, user: undefined, http: undefined, metadata: undefined };
    const w = new DocumentWriter();
    w.writeSegment(withHoles);
    expect(documentJson(w.take())).toBe(JSON.stringify(withHoles));
  });

  it('the documents of a whole batch, one after the other, as translateTraceData writes them', () => {
    const w = new DocumentWriter();
    for (const [, d] of docs) w.writeSegment(d);
    expect(w.take().toString('utf8')).toBe(docs.map(([, d]) => reference(d)).join(''));
  });
});
