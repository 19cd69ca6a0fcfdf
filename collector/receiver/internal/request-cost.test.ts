import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeTraceRequest, decodeTraceRequest } from '../../pdata/otlp-proto.js';
import { encodeTracesJson } from '../../pdata/otlp-json.js';
import { decodeTraceRequestJson } from '../../pdata/otlp-json-decode.js';
import { garbageCollector, liveMemoryBytes } from '../../telemetry/process-memory.js';
import { decodeZipkinJson } from '../zipkinreceiver/json-decode.js';
import { decodeZipkinProto, ListOfSpans } from '../zipkinreceiver/proto-decode.js';
import { zipkinToTraceData } from '../zipkinreceiver/translate.js';
import { planRequest, RequestShapeError, SMALL_BODY, WORST_CASE_PER_BYTE, type BodyFormat } from './request-cost.js';
import type { TraceData } from '../../pdata/model.js';
import { emptySpansProtobuf } from './testdata/hostile-payloads.js';

function envoyTags(i: number): Record<string, string> {
  return {
    node_id: 'sidecar~10.244.0.21~productpage-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local',
    'guid:x-request-id': crypto.randomUUID(),
    'http.url': `http://reviews:9080/reviews/${i}`,
    'http.method': 'GET',
    upstream_cluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local',
    'http.status_code': '200',
    'istio.canonical_service': 'productpage',
  };
}

function otlp(n: number): TraceData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'istio-proxy' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: crypto.randomBytes(16),
              spanId: crypto.randomBytes(8),
              parentSpanId: crypto.randomBytes(8),
              name: 'reviews:9080/*',
              kind: 3,
              startTimeUnixNano: 1_700_000_000_000_000_000 + i,
              endTimeUnixNano: 1_700_000_000_001_000_000 + i,
              attributes: Object.entries(envoyTags(i)).map(([key, v]) => ({ key, value: { stringValue: v } })),
            })),
          },
        ],
      },
    ],
  };
}

function zipkinSpans(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    traceId: crypto.randomBytes(16).toString('hex'),
    id: crypto.randomBytes(8).toString('hex'),
    kind: 'CLIENT',
    name: 'reviews',
    timestamp: 1_700_000_000_000_000 + i,
    duration: 1000,
    localEndpoint: { serviceName: 'productpage.bookinfo' },
    tags: envoyTags(i),
  }));
}

const decoders: Record<BodyFormat, (b: Buffer) => unknown> = {
  'otlp-proto': (b) => decodeTraceRequest(b),
  'otlp-json': (b) => decodeTraceRequestJson(b),
  'zipkin-json': (b) => zipkinToTraceData(decodeZipkinJson(b).spans, false),
  'zipkin-proto': (b) => zipkinToTraceData(decodeZipkinProto(b).spans, false),
};

const cases: [string, BodyFormat, () => Buffer, number][] = [
  ['OTLP protobuf, 100 Envoy spans', 'otlp-proto', () => Buffer.from(encodeTraceRequest(otlp(100))), 100],
  ['OTLP protobuf, 200,000 empty spans', 'otlp-proto', () => emptySpansProtobuf(200_000), 200_000],
  ['OTLP protobuf, 60,000 empty spans (small: the worst case per byte)', 'otlp-proto', () => emptySpansProtobuf(60_000), 60_000],
  ['OTLP/JSON, 100 Envoy spans', 'otlp-json', () => Buffer.from(encodeTracesJson(otlp(100))), 100],
  ['Zipkin JSON, 100 Envoy spans', 'zipkin-json', () => Buffer.from(JSON.stringify(zipkinSpans(100))), 100],
  ['Zipkin JSON, 100,000 {}', 'zipkin-json', () => Buffer.from(`[${Array(100_000).fill('{}').join(',')}]`), 100_000],
  ['OTLP/JSON, 40,000 spans {} (small: the worst case per byte)', 'otlp-json', () => Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${Array(40_000).fill('{}').join(',')}]}]}]}`), 40_000],
  ['Zipkin JSON, 5,000 minimal valid spans (small)', 'zipkin-json', () => Buffer.from(JSON.stringify(Array.from({ length: 5_000 }, (_, i) => ({ traceId: '1', id: (i + 1).toString(16) })))), 5_000],
  ['Zipkin JSON, 20,000 minimal valid spans', 'zipkin-json', () => Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ traceId: '1', id: (i + 1).toString(16) })))), 20_000],
  [
    'Zipkin proto3, 100 Envoy spans',
    'zipkin-proto',
    () =>
      Buffer.from(
        ListOfSpans.encode(
          ListOfSpans.fromObject({ spans: zipkinSpans(100).map((s) => ({ ...s, traceId: Buffer.from(s.traceId, 'hex'), id: Buffer.from(s.id, 'hex'), kind: 1 })) }),
        ).finish(),
      ),
    100,
  ],
];

describe('decode cost, estimated before decoding', () => {
  const gc = garbageCollector();

  it.each(cases)('%s: span count exact, estimate above what decoding retains', async (_name, format, make, spans) => {
    expect(gc).toBeDefined();
    const body = make();
    const plan = await planRequest(format, body);
    // Small bodies are not scanned: their spans are counted once decoded.
    expect(plan.spans).toBe(body.length <= SMALL_BODY ? undefined : spans);
    gc!();
    const before = liveMemoryBytes();
    const decoded = decoders[format](body);
    gc!();
    const retained = liveMemoryBytes() - before;
    expect(decoded).toBeDefined();
    expect(plan.decodedBytes).toBeGreaterThan(retained);
    // ... and within the measured allocation ratios for real traffic (it decides what the budget
    // admits): at most 32× the body (Zipkin proto3 allocates ~24×, OTLP protobuf ~8×).
    // (A small body is admitted at its worst case, WORST_CASE_PER_BYTE × its size.)
    if (spans === 100 && plan.spans !== undefined) expect(plan.decodedBytes).toBeLessThan(32 * body.length);
  });

  it('refuses JSON nested past the limit and malformed protobuf before decoding', async () => {
    const big = (text: string) => Buffer.from(text + ' '.repeat(SMALL_BODY));
    await expect(planRequest('otlp-json', big('['.repeat(161)))).rejects.toThrow(RequestShapeError);
    await expect(planRequest('otlp-json', big('['.repeat(160)))).resolves.toMatchObject({ spans: 0 });
    await expect(planRequest('zipkin-json', big('['.repeat(65)))).rejects.toThrow(/nested deeper than 64 levels/);
    // A small body is admitted at its worst case, unscanned.
    await expect(planRequest('zipkin-json', Buffer.from('['.repeat(65)))).resolves.toEqual({ spans: undefined, decodedBytes: 65 * WORST_CASE_PER_BYTE['zipkin-json'] });
    const bigProto = (b: number[]) => Buffer.concat([Buffer.from(b), Buffer.alloc(SMALL_BODY)]);
    await expect(planRequest('otlp-proto', bigProto([0x0a, 0xff, 0xff, 0xff, 0x7f]))).rejects.toThrow(RequestShapeError);
    await expect(planRequest('zipkin-proto', bigProto([0x0f]))).rejects.toThrow(RequestShapeError);
  });

  it('a large body is read in slices: the event loop turns in between', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const plan = await planRequest('otlp-proto', emptySpansProtobuf(2_000_000));
    clearInterval(ticker);
    expect(plan.spans).toBe(2_000_000);
    expect(turns).toBeGreaterThan(3);
  });
});
