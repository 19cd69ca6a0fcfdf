/**
 * End to end through the built collector (`node dist/collector/cli.js`): the official OTLP
 * gRPC / HTTP-JSON / HTTP-protobuf and Zipkin exporters of OpenTelemetry JS, plus an Envoy-shaped
 * Zipkin body, send into the `otlp` and `zipkin` receivers; after SIGTERM the `file` exporter's
 * output (OTLP/JSON lines) is read back and checked field by field against the SDK spans.
 * Build first: npx tsc -p tsconfig.json.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as api from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { decodeTraceRequestJson } from '../../collector/pdata/otlp-json-decode.js';
import { anyValueToJs, idToHex, nanosToBigInt, type Span, type TraceData } from '../../collector/pdata/model.js';
import { RunningCollector, tempDir, writeConfig } from './harness.js';

let running: RunningCollector | undefined;
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

function makeSdkSpans(service: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'k8s.namespace.name': 'bookinfo' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('e2e', '0.1.0');
  const root = tracer.startSpan('GET /productpage', {
    kind: api.SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 503, ratio: 0.5, retried: true, tags: ['a', 'b'] },
    startTime: [1700000000, 123456789],
  });
  root.addEvent('upstream reset', { attempt: 2 }, [1700000000, 200000000]);
  root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream failed' });
  const ctx = api.trace.setSpanContext(api.context.active(), root.spanContext());
  const child = tracer.startSpan('GET reviews', { kind: api.SpanKind.CLIENT, attributes: { 'peer.service': 'reviews' }, startTime: [1700000000, 300000000] }, ctx);
  child.end([1700000000, 450000000]);
  root.end([1700000001, 0]);
  return memory.getFinishedSpans();
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

function hrToNs(t: [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

function attrs(a: { key: string; value?: unknown }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((a ?? []).map((kv) => [kv.key, anyValueToJs(kv.value as never)]));
}

interface Found {
  span: Span;
  resource: Record<string, unknown>;
  scope?: { name?: string; version?: string } | null;
}

function readFileExport(file: string): Found[] {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const tds: TraceData[] = lines.map((l) => decodeTraceRequestJson(l));
  return tds.flatMap((td) => td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, resource: attrs(rs.resource?.attributes), scope: ss.scope })))));
}

describe('receivers end to end (built collector, file exporter output)', () => {
  it('OTLP gRPC, HTTP/JSON, HTTP/protobuf and Zipkin spans all arrive, field by field', async () => {
    const dir = tempDir();
    const out = `${dir}/spans.jsonl`;
    const cfg = writeConfig(
      dir,
      `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
  zipkin: { endpoint: "127.0.0.1:0" }
processors:
  batch: { timeout: 100ms }
exporters:
  file: { path: ${out} }
service:
  pipelines:
    traces: { receivers: [otlp, zipkin], processors: [batch], exporters: [file] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`,
    );
    const c = RunningCollector.start(['--config', cfg]);
    running = c;
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
    const grpcPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/gRPC receiver listening'));
    const httpPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening'));
    const zipkinPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening'));

    const otlpCases: [string, SpanExporter][] = [
      ['otlp-grpc', new GrpcExporter({ url: `http://127.0.0.1:${grpcPort}`, compression: CompressionAlgorithm.GZIP })],
      ['otlp-http-json', new HttpJsonExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` })],
      ['otlp-http-proto', new HttpProtoExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces`, compression: CompressionAlgorithm.GZIP })],
    ];
    const sent = new Map<string, ReadableSpan[]>();
    for (const [name, exporter] of otlpCases) {
      const spans = makeSdkSpans(name);
      sent.set(name, spans);
      const r = await exportWith(exporter, spans);
      expect(r.code, `${name}: ${String(r.error)}`).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
    }
    const zipkinSpans = makeSdkSpans('zipkin');
    const zexp = new ZipkinExporter({ url: `http://127.0.0.1:${zipkinPort}/api/v2/spans` });
    const zr = await exportWith(zexp, zipkinSpans);
    expect(zr.code, String(zr.error)).toBe(ExportResultCode.SUCCESS);
    await zexp.shutdown();

    // An Envoy sidecar's span, shaped like those in FACTS.md §1 (64-bit IDs, string tags).
    const envoy = await fetch(`http://127.0.0.1:${zipkinPort}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          traceId: 'dfdf78be9f9802f3',
          id: 'dfdf78be9f9802f3',
          kind: 'SERVER',
          name: 'reviews.default.svc.cluster.local:9080/*',
          timestamp: 1689241786518590,
          duration: 7646,
          localEndpoint: { serviceName: 'reviews.default', ipv4: '10.244.1.3', port: 0 },
          annotations: [{ timestamp: 1689241786526291, value: 'ss' }],
          tags: { component: 'proxy', upstream_cluster: 'inbound|9080||', 'http.status_code': '200', node_id: 'sidecar~10.244.1.3~reviews-v1-abc.default~default.svc.cluster.local' },
        },
      ]),
    });
    expect(envoy.status).toBe(202);

    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    const found = readFileExport(out);
    expect(found.length).toBe(3 * 2 + 2 + 1);

    // OTLP: every field exactly as the SDK made it.
    for (const [name, spans] of sent) {
      for (const s of spans) {
        const g = found.find((f) => idToHex(f.span.spanId) === s.spanContext().spanId);
        expect(g, `${name} ${s.name}`).toBeDefined();
        const span = g!.span;
        expect(idToHex(span.traceId)).toBe(s.spanContext().traceId);
        expect(idToHex(span.parentSpanId)).toBe(s.parentSpanContext?.spanId ?? '');
        expect(span.name).toBe(s.name);
        expect(span.kind).toBe(s.kind + 1);
        expect(nanosToBigInt(span.startTimeUnixNano)).toBe(hrToNs(s.startTime));
        expect(nanosToBigInt(span.endTimeUnixNano)).toBe(hrToNs(s.endTime));
        expect(attrs(span.attributes)).toEqual(s.attributes);
        expect((span.events ?? []).map((e) => [e.name, nanosToBigInt(e.timeUnixNano), attrs(e.attributes)])).toEqual(
          s.events.map((e) => [e.name, hrToNs(e.time), e.attributes ?? {}]),
        );
        expect(span.status?.code ?? 0).toBe(s.status.code);
        expect(span.status?.message ?? '').toBe(s.status.message ?? '');
        expect(g!.resource).toEqual(s.resource.attributes);
        expect(g!.scope).toMatchObject({ name: 'e2e', version: '0.1.0' });
      }
    }
    // Zipkin from the SDK: IDs, names, kinds, µs times, string tags, status, resource.
    for (const s of zipkinSpans) {
      const g = found.find((f) => idToHex(f.span.spanId) === s.spanContext().spanId)!;
      expect(g, s.name).toBeDefined();
      expect(idToHex(g.span.traceId)).toBe(s.spanContext().traceId);
      expect(g.span.name).toBe(s.name);
      expect(g.span.kind).toBe(s.kind + 1);
      expect(Math.abs(Number(nanosToBigInt(g.span.startTimeUnixNano) - hrToNs(s.startTime)))).toBeLessThan(1000);
      expect(g.resource).toEqual({ 'service.name': 'zipkin', 'k8s.namespace.name': 'bookinfo', ...pick(g.resource, 'telemetry.') });
      expect(g.span.status?.code ?? 0).toBe(s.status.code);
      for (const [k, v] of Object.entries(s.attributes)) expect(attrs(g.span.attributes)[k]).toBe(String(v));
    }
    // Envoy's span: 64-bit trace ID left-padded, SERVER, µs → ns exact, tags kept as strings.
    const e = found.find((f) => idToHex(f.span.spanId) === 'dfdf78be9f9802f3')!;
    expect(idToHex(e.span.traceId)).toBe('0000000000000000dfdf78be9f9802f3');
    expect(e.span.kind).toBe(2);
    expect(nanosToBigInt(e.span.startTimeUnixNano)).toBe(1689241786518590000n);
    expect(nanosToBigInt(e.span.endTimeUnixNano)).toBe(1689241786526236000n);
    expect(e.resource).toEqual({ 'service.name': 'reviews.default' });
    expect(attrs(e.span.attributes)).toMatchObject({ upstream_cluster: 'inbound|9080||', 'http.status_code': '200', 'net.host.ip': '10.244.1.3' });
    expect(e.span.events?.[0].name).toBe('ss');
    expect(c.logs.some((l) => l.msg === 'spans dropped' || l.msg === 'spans refused')).toBe(false);
  });
});

function pick(o: Record<string, unknown>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith(prefix)));
}
