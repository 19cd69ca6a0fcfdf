/**
 * Issue 11, end to end: "an emulated sidecar pair where the application forwards only
 * x-request-id yields one trace with the right tree", with Envoy's tracer emulated around the
 * real filter (host/tracing: the span starts before the filter, the router writes the tracer's
 * format), for both of Istio's tracers:
 *
 *   client → gateway → productpage sidecar (inbound) → productpage app, which forwards only
 *   x-request-id → productpage sidecar (outbound: Envoy starts a new trace T2, the filter heals)
 *   → reviews sidecar (inbound, continues T2) → reviews app (an OpenTelemetry SDK: W3C with the
 *   OpenTelemetry tracer, B3 with Zipkin; its own SERVER and CLIENT spans) → reviews sidecar
 *   (outbound) → ratings sidecar (inbound) → ratings app.
 *
 * Each sidecar is one Envoy process with two VMs (worker threads) sharing data: the inbound
 * request runs on one, the application's outbound request on the other. Every proxy's tracer
 * buffers its spans per worker; each buffer is one export (OTLP/JSON or Zipkin v2, as Envoy's
 * tracers send them), the application's spans one more (the official OpenTelemetry JS OTLP or
 * Zipkin exporter). The exports reach the real built collector over 127.0.0.1 in several orders;
 * the pipeline is the shipped one (memory_limiter, istio, reparent, batch). The file exporter's
 * output must hold one trace, T1, with the exact tree:
 *
 *   gateway → productpage inbound → productpage outbound (healed) → reviews inbound
 *     → reviews app SERVER → reviews app CLIENT → reviews outbound → ratings inbound
 *
 * What cannot be fully joined, and why (asserted below): the reviews application's spans carry
 * no tag (Envoy's do: meshtrace.healed_trace, recorded from the filter's header); they join T1
 * only through the alias the collector learns from a tagged span of T2. An export of them that
 * arrives before any tagged span of T2 has gone through has already left the collector in T2:
 * those spans stay apart, counted as passed_before_alias.
 * Build first: npm run build (the filter .wasm and dist/).
 */
import { describe, expect, it } from 'vitest';
import * as api from '@opentelemetry/api';
import { W3CTraceContextPropagator, ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { EmulatedProxy, otlpJsonRequest, zipkinV2, type CustomTag, type FinishedSpan, type HeaderList, type TracerProvider } from '../../host/index.js';
import { anyValueToJs, idToHex, type Span } from '../../collector/pdata/model.js';
import { filterBytes } from '../filter/helpers.js';
import { collectorStarter, readFileExport, RunningCollector, tempDir, writeConfig } from './harness.js';
import { bySpanId } from '../fixtures/ambient/load.js';

const startCollector = collectorStarter();

const NS = 'bookinfo';
const node = (app: string, ip: string) => `sidecar~${ip}~${app}-v1-6f89b6c557-x.${NS}~${NS}.svc.cluster.local`;
const spiffe = (sa: string, ns = NS) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
/** Telemetry customTags as manifests/istio/telemetry.yaml sets them, and Istio's canonical-service tag. */
function customTags(service: string): Record<string, CustomTag> {
  return {
    'meshtrace.kind': { header: 'x-meshtrace-kind' },
    'meshtrace.direction': { header: 'x-meshtrace-direction' },
    'meshtrace.healed': { header: 'x-meshtrace-healed' },
    'meshtrace.healed_trace': { header: 'x-meshtrace-healed-trace' },
    'istio.canonical_service': { literal: service },
    'istio.namespace': { literal: NS },
  };
}

const hr = (ns: bigint): api.HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

/** One export as it reaches the collector: a proxy worker's buffer, or the application's spans. */
interface Export {
  name: string;
  send: () => Promise<void>;
}

/** The mesh of one tracer, and one request through it; returns the exports and the span IDs by role. */
function runRequest(provider: TracerProvider, ports: { http: number; zipkin: number }) {
  let t = BigInt(Date.now()) * 1_000_000n;
  const clock = () => (t += 1_000_000n); // every reading 1 ms later: one clock, so the proxies' spans nest
  const proxy = (app: string, ip: string, role: 'sidecar' | 'gateway' = 'sidecar') => new EmulatedProxy({
    wasm: filterBytes(),
    nodeId: role === 'gateway' ? `router~${ip}~istio-ingressgateway-7c9f.istio-system~istio-system.svc.cluster.local` : node(app, ip),
    role,
    tracer: { provider },
    serviceName: role === 'gateway' ? 'istio-ingressgateway.istio-system' : `${app}.${NS}`,
    customTags: customTags(app),
    spiffe: spiffe(app),
    clock,
  });
  const gateway = proxy('istio-ingressgateway', '10.244.0.10', 'gateway');
  const productpage = proxy('productpage', '10.244.0.25');
  const reviews = proxy('reviews', '10.244.0.31');
  const ratings = proxy('ratings', '10.244.0.40');

  // The reviews application: an OpenTelemetry SDK with the propagator that matches the mesh's tracer.
  const memory = new InMemorySpanExporter();
  const sdk = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'reviews' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = sdk.getTracer('reviews-app');
  const propagator = provider === 'opentelemetry' ? new W3CTraceContextPropagator() : new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

  const id = (h: HeaderList) => h.find(([k]) => k === 'x-request-id')![1];
  const ratingsInbound = (h: HeaderList) => ratings.handle({ direction: 'inbound', headers: h, upstreamCluster: 'inbound|9080||', peerIdentity: spiffe('reviews'), upstream: () => ({ status: 200 }) });
  let appServer: api.Span | undefined;
  let appClient: api.Span | undefined;
  const reviewsApp = (h: HeaderList) => {
    const parent = propagator.extract(api.ROOT_CONTEXT, Object.fromEntries(h), api.defaultTextMapGetter);
    appServer = tracer.startSpan('GET /reviews/0', { kind: api.SpanKind.SERVER, startTime: hr(clock()) }, parent);
    appClient = tracer.startSpan('GET ratings', { kind: api.SpanKind.CLIENT, startTime: hr(clock()) }, api.trace.setSpan(parent, appServer));
    const carrier: Record<string, string> = {};
    propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, appClient), carrier, api.defaultTextMapSetter);
    // forwards the context properly (and x-request-id, as Bookinfo's services do)
    const out: HeaderList = [[':authority', 'ratings:9080'], [':path', '/ratings/0'], [':method', 'GET'], ['x-request-id', id(h)], ...Object.entries(carrier)];
    reviews.handle({ direction: 'outbound', headers: out, upstreamCluster: `outbound|9080||ratings.${NS}.svc.cluster.local`, upstream: ratingsInbound });
    appClient.end(hr(clock()));
    appServer.end(hr(clock()));
    return { status: 200 };
  };
  const reviewsInbound = (h: HeaderList) => reviews.handle({ direction: 'inbound', headers: h, upstreamCluster: 'inbound|9080||', peerIdentity: spiffe('productpage'), upstream: reviewsApp });
  // The productpage application forwards only x-request-id: the trace tears here.
  const productpageApp = (h: HeaderList) => {
    productpage.handle({
      direction: 'outbound', headers: [[':authority', 'reviews:9080'], [':path', '/reviews/0'], [':method', 'GET'], ['x-request-id', id(h)]],
      upstreamCluster: `outbound|9080||reviews.${NS}.svc.cluster.local`, upstream: reviewsInbound,
    });
    return { status: 200 };
  };
  const productpageInbound = (h: HeaderList) => productpage.handle({
    direction: 'inbound', headers: h, upstreamCluster: 'inbound|9080||', peerIdentity: spiffe('istio-ingressgateway-service-account', 'istio-system'), upstream: productpageApp,
  });
  const entry = gateway.handle({
    direction: 'inbound', headers: [[':authority', 'bookinfo.example.com'], [':path', '/productpage'], [':method', 'GET'], ['user-agent', 'curl/8.5.0']],
    upstreamCluster: `outbound|9080||productpage.${NS}.svc.cluster.local`, upstream: productpageInbound,
  });
  expect(entry.response.find(([k]) => k === ':status')?.[1]).toBe('200');

  const proxyExport = (name: string, p: EmulatedProxy, worker: number, service: string): { e: Export; spans: FinishedSpan[] } => {
    const spans = p.flush(worker);
    const body = provider === 'opentelemetry' ? otlpJsonRequest(spans, service) : zipkinV2(spans, service);
    const url = provider === 'opentelemetry' ? `http://127.0.0.1:${ports.http}/v1/traces` : `http://127.0.0.1:${ports.zipkin}/api/v2/spans`;
    return {
      spans,
      e: {
        name,
        send: async () => {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          expect(res.status, `${name}: ${await res.clone().text()}`).toBe(provider === 'opentelemetry' ? 200 : 202);
        },
      },
    };
  };
  const g = proxyExport('gateway', gateway, 0, 'istio-ingressgateway.istio-system');
  const ppIn = proxyExport('productpage worker 0 (inbound)', productpage, 0, `productpage.${NS}`);
  const ppOut = proxyExport('productpage worker 1 (outbound, healed)', productpage, 1, `productpage.${NS}`);
  const rvIn = proxyExport('reviews worker 0 (inbound)', reviews, 0, `reviews.${NS}`);
  const rvOut = proxyExport('reviews worker 1 (outbound)', reviews, 1, `reviews.${NS}`);
  const raIn = proxyExport('ratings worker 0 (inbound)', ratings, 0, `ratings.${NS}`);
  for (const x of [g, ppIn, ppOut, rvIn, rvOut, raIn]) expect(x.spans, x.e.name).toHaveLength(1);
  const appSpans: ReadableSpan[] = memory.getFinishedSpans();
  expect(appSpans).toHaveLength(2);
  const exporter: SpanExporter = provider === 'opentelemetry'
    ? new OTLPTraceExporter({ url: `http://127.0.0.1:${ports.http}/v1/traces` })
    : new ZipkinExporter({ url: `http://127.0.0.1:${ports.zipkin}/api/v2/spans` });
  const app: Export = {
    name: 'reviews app (SDK)',
    send: async () => {
      const r = await new Promise<ExportResult>((resolve) => exporter.export(appSpans, resolve));
      expect(r.code, String(r.error)).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
    },
  };
  const ids = {
    gateway: g.spans[0]!.spanId, productpageIn: ppIn.spans[0]!.spanId, healed: ppOut.spans[0]!.spanId, reviewsIn: rvIn.spans[0]!.spanId,
    appServer: appServer!.spanContext().spanId, appClient: appClient!.spanContext().spanId, reviewsOut: rvOut.spans[0]!.spanId, ratingsIn: raIn.spans[0]!.spanId,
  };
  const traces = { healed: g.spans[0]!.traceId.padStart(32, '0'), torn: ppOut.spans[0]!.traceId.padStart(32, '0') };
  const exports = { gateway: g.e, productpageIn: ppIn.e, healed: ppOut.e, reviewsIn: rvIn.e, reviewsOut: rvOut.e, ratingsIn: raIn.e, app };
  return { ids, traces, exports, spans: { healed: ppOut.spans[0]!, reviewsIn: rvIn.spans[0]!, reviewsOut: rvOut.spans[0]!, ratingsIn: raIn.spans[0]! } };
}

type ExportName = 'gateway' | 'productpageIn' | 'healed' | 'reviewsIn' | 'reviewsOut' | 'ratingsIn' | 'app';

/** The arrival orders tried, and whether the application's spans can join. */
const ORDERS: Array<{ label: string; order: ExportName[]; appJoins: boolean }> = [
  // Envoy flushes a span when its request ends: the leaves first, the gateway last.
  { label: 'by end of request (leaves first)', order: ['ratingsIn', 'reviewsOut', 'app', 'reviewsIn', 'healed', 'productpageIn', 'gateway'], appJoins: true },
  { label: 'roots first', order: ['gateway', 'productpageIn', 'healed', 'reviewsIn', 'app', 'reviewsOut', 'ratingsIn'], appJoins: true },
  { label: 'the healed span before its SERVER span, the callee first', order: ['reviewsIn', 'healed', 'ratingsIn', 'app', 'gateway', 'reviewsOut', 'productpageIn'], appJoins: true },
  { label: 'the SERVER span between the healed span\'s callee and the healed span', order: ['reviewsOut', 'productpageIn', 'app', 'healed', 'ratingsIn', 'gateway', 'reviewsIn'], appJoins: true },
  // Cannot be fully joined: the application's export is the first span of T2 to arrive, before
  // any span that carries the alias; those spans leave the collector in T2 (counted).
  { label: 'the application\'s export first (its spans cannot join: no alias known yet)', order: ['app', 'gateway', 'healed', 'productpageIn', 'reviewsIn', 'reviewsOut', 'ratingsIn'], appJoins: false },
];

/** The exported spans by span ID (a span written twice fails the test). */
function readSpans(file: string): Map<string, Span> {
  return new Map([...bySpanId(readFileExport(file))].map(([id, found]) => [id, found.span]));
}

const attr = (s: Span, key: string): unknown => anyValueToJs(s.attributes.find((kv) => kv.key === key)?.value);

async function metric(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe.each(['opentelemetry', 'zipkin'] as const)('a torn request healed end to end, Envoy\'s %s tracer (real filter, built collector)', (provider) => {
  it('one trace with the exact tree, in several export arrival orders; the application\'s spans only when their export is not the first of T2', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const out = `${dir}/out.jsonl`;
    const cfg = writeConfig(dir, `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
  zipkin: { endpoint: "127.0.0.1:0" }
processors:
  memory_limiter: { check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 25 }
  istio: {}
  reparent: {}
  batch: { send_batch_size: 1024, timeout: 50ms }
exporters:
  file: { path: ${out} }
service:
  pipelines:
    traces: { receivers: [otlp, zipkin], processors: [memory_limiter, istio, reparent, batch], exporters: [file] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`);
    const c = startCollector(['--config', cfg]);
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
    const ports = {
      http: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening')),
      zipkin: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening')),
    };
    const metricsPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'serving own metrics at /metrics'));

    const runs = [];
    for (const o of ORDERS) {
      const r = runRequest(provider, ports);
      // What Envoy and the filter did: the healed call's own span is a root in T2, tagged with T1.
      expect(r.traces.torn).not.toBe(r.traces.healed);
      expect(r.spans.healed.parentSpanId).toBeUndefined();
      expect(r.spans.healed.tags).toMatchObject({ 'meshtrace.healed': '1', 'meshtrace.healed_trace': r.traces.healed, 'meshtrace.kind': 'client' });
      for (const s of [r.spans.reviewsIn, r.spans.reviewsOut, r.spans.ratingsIn]) expect(s.tags['meshtrace.healed_trace']).toBe(r.traces.healed);
      for (const name of o.order) await r.exports[name].send();
      runs.push({ ...o, ...r });
    }
    // The last healed spans may be held for their SERVER span: shutdown passes everything on.
    const passedBefore = await metric(metricsPort, 'meshtrace_processor_reparent_trace_alias_spans_total', { outcome: 'passed_before_alias' });
    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });

    const spans = readSpans(out);
    expect(spans.size).toBe(ORDERS.length * 8); // nothing lost
    for (const r of runs) {
      const { ids, traces } = r;
      const get = (id: string) => {
        const s = spans.get(id);
        expect(s, `${r.label}: span ${id}`).toBeDefined();
        return s!;
      };
      const tree: Array<[keyof typeof ids, string | undefined]> = [
        ['gateway', undefined], ['productpageIn', ids.gateway], ['healed', ids.productpageIn], ['reviewsIn', ids.healed],
        ['appServer', ids.reviewsIn], ['appClient', ids.appServer], ['reviewsOut', ids.appClient], ['ratingsIn', ids.reviewsOut],
      ];
      for (const [role, parent] of tree) {
        const s = get(ids[role]);
        const appSpan = role === 'appServer' || role === 'appClient';
        expect(idToHex(s.parentSpanId) || undefined, `${r.label}: parent of ${role}`).toBe(parent);
        expect(idToHex(s.traceId), `${r.label}: trace of ${role}`).toBe(appSpan && !r.appJoins ? traces.torn : traces.healed);
      }
      expect(attr(get(ids.healed), 'meshtrace.original_trace_id')).toBe(traces.torn);
      expect(attr(get(ids.healed), 'meshtrace.original_parent_span_id')).toBeUndefined(); // it was a root
      expect(get(ids.gateway).kind).toBe(2); // the istio processor made the gateway's CLIENT span SERVER
    }
    // The unjoinable order's two application spans, and only they, were counted.
    expect(passedBefore).toBe(ORDERS.filter((o) => !o.appJoins).length * 2);
  });
});
