/**
 * The request bodies of issue 9's hostile client, built without holding them twice: OTLP
 * protobuf bodies of empty spans, Zipkin `[{},…]`, deeply nested JSON, gzip bombs, a span with
 * an 80 KB numeric tag; and legitimate Envoy-shaped requests with unique span IDs. Shared by
 * the receivers' unit tests, test/collector/hostile.test.ts and bench/hostile-memory.ts, with
 * the shipped Deployment's NODE_OPTIONS and memory limit.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';
import type { TraceData } from '../../../pdata/model.js';
import { encodeTraceRequest } from '../../../pdata/otlp-proto.js';

/** A protobuf varint. */
export function varint(x: number): Buffer {
  const out: number[] = [];
  while (x > 127) {
    out.push((x & 127) | 128);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return Buffer.from(out);
}

/** ExportTraceServiceRequest with one ResourceSpans, one ScopeSpans and `n` empty spans (2 bytes each). */
export function emptySpansProtobuf(n: number): Buffer {
  const spans = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++) spans[2 * i] = 0x12; // ScopeSpans.spans, length 0
  const scope = Buffer.concat([Buffer.from([0x12]), varint(spans.length)]);
  const rsLen = scope.length + spans.length;
  return Buffer.concat([Buffer.from([0x0a]), varint(rsLen), scope, spans]);
}

/** Zipkin v2 JSON `[{},{},…]` of about `bytes` bytes (3 bytes per entry). */
export function emptyZipkinSpans(bytes: number): Buffer {
  const n = Math.max(1, Math.floor((bytes - 1) / 3));
  const b = Buffer.alloc(3 * n + 1, 0x2c);
  b[0] = 0x5b;
  for (let i = 0; i < n; i++) {
    b[1 + 3 * i] = 0x7b;
    b[2 + 3 * i] = 0x7d;
  }
  b[b.length - 1] = 0x5d;
  return b;
}

/** `bytes` of `[` (arrays nested `bytes` deep), as a JSON body. */
export function nestedJson(bytes: number): Buffer {
  return Buffer.alloc(bytes, 0x5b);
}

/** A gzip body of about `compressedBytes` that inflates to ~1000× that (zeros). */
export function gzipBomb(compressedBytes: number): Buffer {
  return zlib.gzipSync(Buffer.alloc(compressedBytes * 1000), { level: 9 });
}

/** One valid Zipkin span whose tag is an 80 KB run of digits that is not a number. */
export function zipkinNumericTagSpan(tagBytes = 80 * 1024): Buffer {
  const span = {
    traceId: crypto.randomBytes(16).toString('hex'),
    id: crypto.randomBytes(8).toString('hex'),
    name: 'numeric tag',
    timestamp: Date.now() * 1000,
    duration: 10,
    localEndpoint: { serviceName: 'hostile' },
    tags: { n: `${'1'.repeat(tagBytes)}x` },
  };
  return Buffer.from(JSON.stringify([span]));
}

/** `n` Envoy-shaped spans with random IDs, encoded as one OTLP/HTTP protobuf body; returns the span IDs (hex). */
export function legitimateRequest(n: number): { body: Buffer; spanIds: string[] } {
  const spanIds: string[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  const td: TraceData = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'istio-proxy' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, (_, i) => {
              const spanId = crypto.randomBytes(8);
              spanIds.push(spanId.toString('hex'));
              return {
                traceId: crypto.randomBytes(16),
                spanId,
                name: 'reviews.bookinfo.svc.cluster.local:9080/*',
                kind: 3,
                startTimeUnixNano: Number(now) + i,
                endTimeUnixNano: Number(now) + i + 1_000_000,
                attributes: [
                  { key: 'upstream_cluster', value: { stringValue: 'outbound|9080||reviews.bookinfo.svc.cluster.local' } },
                  { key: 'http.status_code', value: { stringValue: '200' } },
                  { key: 'guid:x-request-id', value: { stringValue: crypto.randomUUID() } },
                ],
              };
            }),
          },
        ],
      },
    ],
  };
  return { body: Buffer.from(encodeTraceRequest(td)), spanIds };
}

/**
 * NODE_OPTIONS and the memory limit (MiB) of the collector container in the shipped Deployment
 * (manifests/collector/deployment.yaml under `repoRoot`): what the hostile tests and bench run with.
 */
export function shippedDeployment(repoRoot: string): { nodeOptions: string; memoryLimitMiB: number } {
  const doc = YAML.parse(fs.readFileSync(path.join(repoRoot, 'manifests/collector/deployment.yaml'), 'utf8'));
  const c = doc.spec.template.spec.containers.find((x: { name: string }) => x.name === 'collector');
  const nodeOptions = c.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS').value as string;
  const limit = String(c.resources.limits.memory);
  const m = /^(\d+)Mi$/.exec(limit);
  if (!m) throw new Error(`unexpected memory limit ${limit} in the Deployment`);
  return { nodeOptions, memoryLimitMiB: Number(m[1]) };
}
