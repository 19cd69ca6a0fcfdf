/**
 * Every document the translator produces — over a broad, seeded, generated set of spans — is
 * valid against the segment document schema and within the size limit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type Span, type TraceData } from '../../../pdata/model.js';
import { NOW_SEC, resource, span, traces } from '../testdata/build.js';
import { istioSleepToHttpbin } from '../testdata/istio-httpbin.js';
import { DocumentWriter, documentJson } from './document-writer.js';
import { XRAY_MAX_DOCUMENT_BYTES, writeWithinLimit, TRIMMED_ANNOTATION } from './fit.js';
import { makeSegment, makeSegments, type SegmentDocument, type SegmentOptions } from './segment.js';
import { translateTraceData } from './translate.js';
import { seededRng } from '../../../../test/seeded-rng.js';

const here = dirname(fileURLToPath(import.meta.url));
const ownSchema = JSON.parse(readFileSync(join(here, '../testdata/segment-document.schema.json'), 'utf8'));
// AWS's published schema, as kept in the shared reference beside the project (draft-04; its
// licence does not clearly allow a copy in this repository, so it is read in place when present).
const REFERENCE_SCHEMA = '/work/shared/reference/xray/schema/xray-segmentdocument-schema-v1.0.0.json';

function compile(schema: Record<string, unknown>): ValidateFunction {
  const { $schema: _ignored, ...rest } = schema;
  return new Ajv({ allErrors: true, strict: false }).compile(rest);
}


const NAME_CHARS = ['a', 'Z', '9', ' ', '.', ':', '/', '%', '&', '#', '=', '+', '-', '@', '_', '|', '?', '*', '<', '>', '"', '\\', 'é', 'ß', '日', 'Ж', '\n', '\t', '😀', '$', '{', ',', ';',
  // letters \p{L} has and AWS's schema does not: Unicode 9+ (U+08B6, U+9FD6), outside the BMP, a mark
  '\u08b6', '\u9fd6', '𝒜', '\u0301', '\u1885'];
const KEYS = ['http.method', 'http.status_code', 'http.url', 'http.target', 'http.host', 'http.scheme', 'net.peer.name', 'net.peer.port',
  'peer.service', 'rpc.service', 'db.name', 'db.connection_string', 'aws.service', 'rpc.system', 'enduser.id', 'user_agent', 'response_size',
  'peer.address', 'upstream_cluster', 'istio.canonical_service', 'istio.namespace', 'meshtrace.direction', 'http.client_ip', 'url.full',
  'http.response.status_code', 'weird key!', 'ключ', 'a.b', 'a_b', '', 'x'.repeat(600), 'aws.xray.annotations', 'http.status_text', 'server.address',
  'client.address', 'network.peer.address', 'url.scheme', 'url.path', 'url.query', 'server.port', 'host.name', 'aws.remote.service', 'aws.local.service',
  'aws.span.kind', 'aws.operation', 'aws.request_id', 'aws.dynamodb.table_names', 'db.system', 'db.statement', 'aws.xray.metadata.default',
  'aws.xray.metadata.ns'];

const STACKS = [
  'Err\n    at f (/a.js:1:2)\n',
  'java.lang.E: m\n\tat a.B.c(B.java:1)\nCaused by: x.Y: ' + '日😀|\n\tat java.base/d.E.f(E.java:2)\n',
  'Traceback (most recent call last):\n  File "a.py", line 1, in f\n    g()\nValueError: v\n\nDuring handling of the above exception, another exception occurred:\n\n',
  'System.Exception: a ---> System.ArgumentException: b\n   at X.Y() in C:\\a.cs:line 3\n   --- End of inner exception stack trace ---\n',
  'goroutine 1 [running]:\nmain.main()\n\t/a/main.go:12 +0x1d\n',
];

function randomString(r: () => number, max: number): string {
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(r() * NAME_CHARS.length)];
  return s;
}

function randomValue(r: () => number, key: string): unknown {
  if (key === 'http.status_code' || key === 'http.response.status_code') {
    const codes = [200, 204, 301, 404, 429, 499, 500, 503, 600, -1, '200', '503', 'abc', 2.5];
    return codes[Math.floor(r() * codes.length)];
  }
  if (key === 'aws.xray.annotations') return ['a.b', 'ключ', 'weird key!'];
  if (key === 'rpc.system') return r() < 0.5 ? 'aws-api' : 'grpc';
  if (key === 'aws.span.kind') return r() < 0.5 ? 'LOCAL_ROOT' : 'Consumer';
  if (key === 'db.system') return ['mysql', 'postgresql', 'mongodb'][Math.floor(r() * 3)];
  if (key === 'client.address' || key === 'network.peer.address') return r() < 0.5 ? '10.0.0.' + Math.floor(r() * 255) : randomString(r, 20);
  if (key.startsWith('aws.xray.metadata.')) return r() < 0.5 ? JSON.stringify({ k: randomString(r, 10), n: [1, 2] }) : randomString(r, 10);
  const pick = Math.floor(r() * 9);
  switch (pick) {
    case 0: return r() < 0.5;
    case 1: return Math.floor(r() * 1e6) - 5e5;
    case 2: return { doubleValue: r() < 0.1 ? NaN : r() * 1000 };
    case 3: return [randomString(r, 5), 1, true];
    case 4: return { nested: randomString(r, 10), n: 1 };
    case 5: return Uint8Array.of(1, 2, 3);
    case 6: return 'u'.repeat(Math.floor(r() * 3000));
    default: return randomString(r, 40);
  }
}

function hexOf(r: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(r() * 256).toString(16).padStart(2, '0');
  return s;
}

function generate(count: number, seed: number): TraceData[] {
  const r = seededRng(seed).next;
  const out: TraceData[] = [];
  for (let i = 0; i < count; i++) {
    const attributes: Record<string, unknown> = {};
    const nAttrs = Math.floor(r() * 14);
    for (let a = 0; a < nAttrs; a++) {
      const key = KEYS[Math.floor(r() * KEYS.length)];
      attributes[key] = randomValue(r, key);
    }
    const kinds = [SpanKind.UNSPECIFIED, SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
    const traceBytes = r() < 0.15 ? 8 : 16;
    const start = NOW_SEC - r() * 40 * 86400; // some older than 28 days
    const s: Span = span({
      traceId: r() < 0.2 ? Math.floor(NOW_SEC - 100).toString(16) + hexOf(r, 12) : hexOf(r, traceBytes),
      spanId: hexOf(r, 8).replace(/^0{16}$/, '0000000000000001'),
      parentSpanId: r() < 0.6 ? hexOf(r, 8) : undefined,
      name: randomString(r, r() < 0.05 ? 400 : 30),
      kind: kinds[Math.floor(r() * kinds.length)],
      startSec: start,
      endSec: r() < 0.05 ? 0 : start + r() * 5,
      attributes,
      status: r() < 0.3 ? { code: StatusCode.ERROR, message: r() < 0.5 ? randomString(r, 50) : '' } : undefined,
      events: r() < 0.2
        ? [{ name: r() < 0.7 ? 'exception' : 'log', timeUnixNano: 0, attributes: [
            { key: 'exception.type', value: { stringValue: 'Err' } },
            { key: 'exception.message', value: { stringValue: randomString(r, 100) } },
            { key: 'exception.stacktrace', value: { stringValue: STACKS[Math.floor(r() * STACKS.length)]!.repeat(Math.floor(r() * 80)) } },
          ] }]
        : undefined,
      links: r() < 0.1 ? [{ traceId: Buffer.from(hexOf(r, r() < 0.1 ? 4 : 16), 'hex'), spanId: Buffer.from(hexOf(r, 8), 'hex'), attributes: [{ key: 'k', value: { stringValue: randomString(r, 10) } }] }] : undefined,
    });
    const resAttrs: Record<string, unknown> = { 'service.name': randomString(r, 20) || 'svc', 'telemetry.sdk.language': ['java', 'python', 'nodejs', 'dotnet', 'go', 'php', 'ruby'][Math.floor(r() * 7)] };
    if (r() < 0.2) Object.assign(resAttrs, { 'aws.log.group.names': 'a&b', 'telemetry.auto.version': '1', 'container.image.tag': randomString(r, 5) });
    if (r() < 0.3) Object.assign(resAttrs, { 'cloud.provider': 'aws', 'cloud.platform': ['aws_eks', 'aws_ecs', 'aws_ec2', 'other'][Math.floor(r() * 4)], 'k8s.cluster.name': 'c' });
    out.push(traces(resource(resAttrs), [s]));
  }
  return out;
}

const opts: SegmentOptions & { maxDocumentBytes: number } = {
  mode: 'rewrite',
  windowSec: 3600,
  nowSec: NOW_SEC,
  indexedAttributes: new Set(['http.target', 'ключ', 'weird key!']),
  indexAllAttributes: false,
  meshAnnotations: true,
  maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
};

let translatedSpans = 0;
function translateAll(set: TraceData[], o: typeof opts): string[] {
  const docs: string[] = [];
  for (const td of set) {
    const r = translateTraceData(td, o);
    expect([...r.dropped.keys()]).toEqual([]);
    translatedSpans += r.spans;
    // The writer gives exactly JSON.stringify's text of each segment, over the whole generated set.
    const expected = td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.flatMap((sp) => {
      const seg = makeSegments(sp, rs.resource, o);
      return seg.ok ? seg.docs.map((d) => JSON.stringify(d)) : [];
    })));
    const written = r.documents.map((d) => documentJson(d.data));
    expect(written).toEqual(expected);
    docs.push(...written);
  }
  return docs;
}

/** writeWithinLimit into a fresh writer: the result and the document's JSON. */
function fitted(doc: SegmentDocument, maxBytes: number) {
  const w = new DocumentWriter();
  const fit = writeWithinLimit(doc, maxBytes, w);
  return { fit, json: documentJson(w.take()) };
}

describe('schema validity of generated documents', () => {
  const own = compile(ownSchema);
  const generated = generate(600, 20261121);
  const docs = [
    ...translateAll(generated, opts),
    ...translateAll(generate(200, 7), { ...opts, indexAllAttributes: true }),
    ...translateAll(generate(100, 99), { ...opts, mode: 'passthrough' }),
  ];
  const { client, server } = istioSleepToHttpbin();
  docs.push(...translateAll([client, server], opts));

  it('produces documents for every generated span (two for a local root that calls out)', () => {
    expect(translatedSpans).toBe(600 + 200 + 100 + 2);
    expect(docs.length).toBeGreaterThan(translatedSpans);
  });

  it('every document is valid against our segment schema and at most 64 KB', () => {
    const failures: string[] = [];
    for (const json of docs) {
      expect(Buffer.byteLength(json)).toBeLessThanOrEqual(XRAY_MAX_DOCUMENT_BYTES);
      const doc = JSON.parse(json);
      if (!own(doc)) failures.push(`${own.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; ')} in ${json.slice(0, 300)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('the schema itself rejects what X-Ray refuses (so the check above can fail)', () => {
    const good = JSON.parse(docs[0]);
    const bad = [
      { ...good, name: 'a|b' },
      { ...good, name: 'n'.repeat(201) },
      { ...good, trace_id: '1-xyz-abc' },
      { ...good, id: 'ABC' },
      { ...good, annotations: { 'a.b': 1 } },
      { ...good, annotations: { a: { nested: 1 } } },
      { ...good, metadata: { default: 'x' } },
      { ...good, http: { request: { url: 'u'.repeat(251) } } },
      { ...good, type: 'subsegment', parent_id: undefined },
    ];
    for (const b of bad) expect(own(JSON.parse(JSON.stringify(b))), JSON.stringify(b).slice(0, 120)).toBe(false);
  });

  it.skipIf(!existsSync(REFERENCE_SCHEMA))('every document is also valid against AWS’s published schema (shared reference copy)', () => {
    const reference = compile(JSON.parse(readFileSync(REFERENCE_SCHEMA, 'utf8')));
    const failures: string[] = [];
    for (const json of docs) {
      if (!reference(JSON.parse(json))) failures.push(`${reference.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; ')} in ${json.slice(0, 200)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});

describe('size limit', () => {
  const big = (n: number) => 'x'.repeat(n);

  it('trims metadata first, largest entries first, and marks the document', () => {
    const attributes: Record<string, unknown> = { small: 'keep me', huge1: big(40_000), huge2: big(30_000), k: 'indexed' };
    const r = makeSegment(span({ attributes }), resource(), { ...opts, indexedAttributes: new Set(['k']) });
    if (!r.ok) throw new Error('dropped');
    const { fit, json } = fitted(r.doc, XRAY_MAX_DOCUMENT_BYTES);
    expect(fit.ok && fit.trimmed).toBe(true);
    if (!fit.ok) return;
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(XRAY_MAX_DOCUMENT_BYTES);
    const doc = JSON.parse(json);
    expect(doc.metadata.default.huge1).toBeUndefined();
    expect(doc.metadata.default.small).toBe('keep me');
    expect(doc.annotations).toMatchObject({ k: 'indexed', [TRIMMED_ANNOTATION]: true });
    expect(fit.trimmed && fit.removed).toEqual(['metadata.huge1']);
  });

  it('trims annotations after metadata, never otel_trace_id', () => {
    const attributes: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) attributes[`a${i}`] = big(900);
    const r = makeSegment(span({ attributes }), resource(), { ...opts, indexAllAttributes: true });
    if (!r.ok) throw new Error('dropped');
    const { fit, json } = fitted(r.doc, 8_000);
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    const doc = JSON.parse(json);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(8_000);
    expect(doc.annotations.otel_trace_id).toBeDefined();
    expect(Object.keys(doc.annotations).length).toBeLessThan(40);
    expect(doc.metadata).toBeUndefined();
  });

  it('drops (with a counted reason) what cannot fit even bare', () => {
    const td = traces(resource(), [span({ name: 'n'.repeat(200), attributes: { a: 'b' } }), span({ spanId: '0000000000000002' })]);
    const r = translateTraceData(td, { ...opts, maxDocumentBytes: 200 });
    expect(r.documents.length).toBe(0);
    expect(r.dropped.get('document_too_large')?.count).toBe(2);
  });

  it('multi-byte characters count as bytes, not characters', () => {
    const r = makeSegment(span({ attributes: { u: '日'.repeat(30_000) } }), resource(), opts); // 90 KB in UTF-8
    if (!r.ok) throw new Error('dropped');
    const { fit, json } = fitted(r.doc, XRAY_MAX_DOCUMENT_BYTES);
    expect(fit.ok && fit.trimmed).toBe(true);
    if (fit.ok) expect(Buffer.byteLength(json)).toBeLessThanOrEqual(XRAY_MAX_DOCUMENT_BYTES);
  });

  it('the limit counts the document, not its longer escaped form in the request body', () => {
    // 20,000 quotes: 40 KB of JSON (\"), 80 KB escaped for the body (\\\"): within the limit, untouched.
    const r = makeSegment(span({ attributes: { q: '"'.repeat(20_000) } }), resource(), opts);
    if (!r.ok) throw new Error('dropped');
    const { fit, json } = fitted(r.doc, XRAY_MAX_DOCUMENT_BYTES);
    expect(fit).toEqual({ ok: true, trimmed: false });
    expect(json).toBe(JSON.stringify(r.doc));
    // Over the limit by its JSON alone: trimmed, and what is left fits.
    const over = makeSegment(span({ attributes: { q: '"'.repeat(33_000) } }), resource(), opts);
    if (!over.ok) throw new Error('dropped');
    const trimmed = fitted(over.doc, XRAY_MAX_DOCUMENT_BYTES);
    expect(trimmed.fit.ok && trimmed.fit.trimmed && trimmed.fit.removed).toEqual(['metadata.q']);
    expect(Buffer.byteLength(trimmed.json)).toBeLessThanOrEqual(XRAY_MAX_DOCUMENT_BYTES);
  });

  it('a document that cannot fit is not left in the writer', () => {
    const r = makeSegment(span({ name: 'n'.repeat(200) }), resource(), opts);
    if (!r.ok) throw new Error('dropped');
    const w = new DocumentWriter();
    w.write('before');
    const fit = writeWithinLimit(r.doc, 100, w);
    expect(fit.ok).toBe(false);
    // The size reported is the bare document's (the 200-character name alone is over 100).
    if (!fit.ok) expect(fit.bytes).toBeGreaterThan(200);
    expect(documentJson(w.take())).toBe('"before"');
  });
});
