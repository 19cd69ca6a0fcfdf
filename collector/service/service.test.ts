import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Factory, Host, TraceConsumer, TracesProcessor } from '../component/component.js';
import { ConsumerError } from '../component/consumer-error.js';
import { builtinFactories } from '../components.js';
import { parseConfigText } from '../config/load.js';
import { readObject } from '../config/validate.js';
import { nullLogger } from '../telemetry/logger.js';
import { CollectorMetrics } from '../telemetry/metrics.js';
import { ExporterFanOut, PipelineFanOut } from './fanout.js';
import { estimateTraceBytes } from '../exporter/exporterhelper/sizes.js';
import { Service } from './service.js';
import { FakeExtension, fakeAuthExtensionFactory, FakeReceiver, fakeReceiverFactory, makeTraces, RecordingExporter, recordingExporterFactory } from './testkit.js';
import { encodeTraceRequest } from '../pdata/otlp-proto.js';
import { setAttr } from '../pdata/model.js';

const never = new AbortController().signal;

/** A processor that logs lifecycle events and tags spans (to see copies vs shared objects). */
const events: string[] = [];
const tagProcessorFactory: Factory<Record<string, never>, TracesProcessor> = {
  kind: 'processor',
  type: 'tag',
  parseConfig(raw, p, issues) {
    readObject(raw, p, issues, []);
    return {};
  },
  create(_cfg, settings, next?: TraceConsumer) {
    return {
      async start(_h: Host) {
        events.push(`start ${settings.id}`);
      },
      async shutdown() {
        events.push(`stop ${settings.id}`);
      },
      async consumeTraces(td) {
        for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) setAttr(s.attributes, 'tagged_by', { stringValue: settings.id });
        return next!.consumeTraces(td);
      },
    };
  },
};

const factories = [...builtinFactories, fakeReceiverFactory, recordingExporterFactory, tagProcessorFactory, fakeAuthExtensionFactory];
const logger = nullLogger();

function service(yaml: string) {
  const cfg = parseConfigText(yaml, {}, { factories });
  return new Service(cfg, { logger, serveMetrics: false });
}

async function metricValue(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return (v?.value as number) ?? 0;
}

beforeEach(() => {
  events.length = 0;
  FakeReceiver.instances.clear();
  RecordingExporter.instances.clear();
});

describe('ExporterFanOut', () => {
  function fan(n: number) {
    const ex = Array.from({ length: n }, (_, i) => new RecordingExporter(`e${i}`));
    const metrics = new CollectorMetrics();
    return { ex, metrics, f: new ExporterFanOut(ex.map((e) => ({ id: e.id, exporter: e })), logger, metrics) };
  }

  it('delivers to every exporter', async () => {
    const { ex, f } = fan(3);
    await f.consumeTraces(makeTraces(4));
    expect(ex.map((e) => e.spans)).toEqual([4, 4, 4]);
  });

  it('refuses retryably before enqueuing anywhere when one exporter has no room', async () => {
    const { ex, f } = fan(3);
    ex[2].capacity = 3;
    const err = await f.consumeTraces(makeTraces(4)).catch((e) => e);
    expect(err).toMatchObject({ retryable: true, reason: 'queue_full' });
    expect(ex.map((e) => e.spans)).toEqual([0, 0, 0]);
  });

  it('one failing exporter neither blocks nor fails the others; its loss is counted', async () => {
    const { ex, f, metrics } = fan(2);
    ex[0].refuse = { times: 1, error: ConsumerError.retryable('down', 'backend_unavailable') };
    ex[1].delayMs = 20;
    await f.consumeTraces(makeTraces(5));
    expect(ex[1].spans).toBe(5);
    expect(await metricValue(metrics, 'meshtrace_spans_dropped_total', { component: 'e0', reason: 'exporter_backend_unavailable' })).toBe(5);
  });

  it('passes the refusal upstream when every exporter refused (retryable wins)', async () => {
    const { ex, f } = fan(2);
    ex[0].refuse = { times: 1, error: ConsumerError.permanent('bad') };
    ex[1].refuse = { times: 1, error: ConsumerError.retryable('full', 'queue_full') };
    await expect(f.consumeTraces(makeTraces(1))).rejects.toMatchObject({ retryable: true, reason: 'queue_full' });
  });

  it('estimates the encoded size within 35% of the real protobuf size', () => {
    const td = makeTraces(100);
    for (const s of td.resourceSpans[0].scopeSpans[0].spans) {
      for (let i = 0; i < 20; i++) s.attributes.push({ key: `attribute.key.${i}`, value: { stringValue: `value-${i}-${s.name}` } });
    }
    const real = encodeTraceRequest(td).length;
    const est = estimateTraceBytes(td); // the fan-out's hasCapacity estimate is the queues' own
    expect(Math.abs(est - real) / real).toBeLessThan(0.35);
  });
});

describe('PipelineFanOut', () => {
  it('gives each pipeline its own copy', async () => {
    const a = new RecordingExporter('a');
    const b = new RecordingExporter('b');
    const tagA = tagProcessorFactory.create({}, { id: 'tag/a', logger, metrics: new CollectorMetrics() }, a);
    const tagB = tagProcessorFactory.create({}, { id: 'tag/b', logger, metrics: new CollectorMetrics() }, b);
    const f = new PipelineFanOut([{ id: 'traces/a', entry: tagA }, { id: 'traces/b', entry: tagB }], logger, new CollectorMetrics());
    await f.consumeTraces(makeTraces(2));
    const tag = (e: RecordingExporter) => e.received[0].resourceSpans[0].scopeSpans[0].spans.map((s) => s.attributes.find((kv) => kv.key === 'tagged_by')?.value?.stringValue);
    expect(tag(a)).toEqual(['tag/a', 'tag/a']);
    expect(tag(b)).toEqual(['tag/b', 'tag/b']);
    // Long and Buffer values survive the copy
    expect(a.received[0].resourceSpans[0].scopeSpans[0].spans[0].traceId).toEqual(b.received[0].resourceSpans[0].scopeSpans[0].spans[0].traceId);
  });

  it('passes a retryable refusal of any pipeline upstream (at-least-once)', async () => {
    const a = new RecordingExporter('a');
    const b = new RecordingExporter('b');
    b.refuse = { times: 1, error: ConsumerError.retryable('mem', 'memory_limit') };
    const f = new PipelineFanOut([{ id: 'a', entry: a }, { id: 'b', entry: b }], logger, new CollectorMetrics());
    await expect(f.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'memory_limit' });
  });
});

describe('Service', () => {
  const YAML = `
receivers: { fake: {}, fake/2: {} }
processors: { tag/1: {}, tag/2: {} }
exporters: { recording/a: {}, recording/b: {} }
service:
  pipelines:
    traces: { receivers: [fake, fake/2], processors: [tag/1, tag/2], exporters: [recording/a, recording/b] }
    traces/other: { receivers: [fake], exporters: [recording/b] }
`;

  it('wires receivers → processors → exporters, one receiver feeding two pipelines', async () => {
    const svc = service(YAML);
    await svc.start();
    expect(svc.host.health.state).toBe('ready');
    await FakeReceiver.instances.get('fake')!.send(makeTraces(3));
    await FakeReceiver.instances.get('fake/2')!.send(makeTraces(1));
    expect(RecordingExporter.instances.get('recording/a')!.spans).toBe(4);
    expect(RecordingExporter.instances.get('recording/b')!.spans).toBe(7); // 3+1 via traces, 3 via traces/other
    const first = RecordingExporter.instances.get('recording/a')!.received[0].resourceSpans[0].scopeSpans[0].spans[0];
    expect(first.attributes.find((a) => a.key === 'tagged_by')?.value?.stringValue).toBe('tag/2');
    await svc.shutdown();
    expect(svc.host.health.state).toBe('stopping');
  });

  it('starts processors last to first and stops them first to last', async () => {
    const svc = service(YAML);
    await svc.start();
    await svc.shutdown();
    expect(events).toEqual(['start tag/2', 'start tag/1', 'stop tag/1', 'stop tag/2']);
    expect(FakeReceiver.instances.get('fake')!.stopped).toBe(true);
  });

  it('shutdown flushes what the batch processor holds through the file exporter', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mt-svc-')), 'out.json');
    const svc = service(`
receivers: { fake: {} }
processors: { batch: { timeout: 1h, send_batch_size: 100000 } }
exporters: { file: { path: ${out} } }
service: { pipelines: { traces: { receivers: [fake], processors: [batch], exporters: [file] } } }
`);
    await svc.start();
    for (let i = 0; i < 10; i++) await FakeReceiver.instances.get('fake')!.send(makeTraces(7, 'svc', i * 7));
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    await svc.shutdown();
    const spans = fs
      .readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .flatMap((l) => JSON.parse(l).resourceSpans.flatMap((rs: { scopeSpans: { spans: { name: string }[] }[] }) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))));
    expect(spans).toHaveLength(70);
    expect(new Set(spans).size).toBe(70);
  });

  it('counts spans stuck behind a refusing exporter at the deadline as dropped', async () => {
    const svc = service(`
receivers: { fake: {} }
processors: { batch: { timeout: 1h } }
exporters: { recording: {} }
service: { pipelines: { traces: { receivers: [fake], processors: [batch], exporters: [recording] } } }
`);
    await svc.start();
    RecordingExporter.instances.get('recording')!.refuse = { times: 1e9, error: ConsumerError.retryable('down', 'backend_unavailable') };
    await FakeReceiver.instances.get('fake')!.send(makeTraces(9));
    const t0 = Date.now();
    await svc.shutdown(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await metricValue(svc.metrics, 'meshtrace_spans_dropped_total', { reason: 'shutdown_deadline' })).toBe(9);
  });

  it('serves /metrics at the configured address', async () => {
    const cfg = parseConfigText(
      `
receivers: { fake: {} }
exporters: { recording: {} }
service:
  pipelines: { traces: { receivers: [fake], exporters: [recording] } }
  telemetry: { metrics: { address: "127.0.0.1:0" } }
`,
      {},
      { factories },
    );
    const svc = new Service(cfg, { logger });
    await svc.start();
    const port = svc.metricsAddress()!.port;
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('# TYPE otelcol_receiver_accepted_spans_total counter');
    expect(text).toMatch(/otelcol_process_uptime_seconds \d/);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    await svc.shutdown();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('an exporter resolves the extension its config names through the host, started before it', async () => {
    const svc = service(`
receivers: { fake: {} }
exporters: { recording: { auth: { authenticator: fakeauth/x } } }
extensions: { fakeauth/x: {} }
service: { extensions: [fakeauth/x], pipelines: { traces: { receivers: [fake], exporters: [recording] } } }
`);
    await svc.start();
    const ext = RecordingExporter.instances.get('recording')!.resolved.auth;
    expect(ext).toBeInstanceOf(FakeExtension);
    expect((ext as FakeExtension).started).toBe(true);
    expect(svc.host.getExtension('fakeauth/x')).toBe(ext);
    expect(svc.host.getExtension('other')).toBeUndefined();
    await svc.shutdown();
  });

  it('a component failing to start stops what was started and rejects', async () => {
    const blocker = new (await import('node:net')).Server();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const svc = service(`
receivers: { fake: {} }
exporters: { recording: {} }
extensions: { health_check: { endpoint: "127.0.0.1:${port}" } }
service: { extensions: [health_check], pipelines: { traces: { receivers: [fake], exporters: [recording] } } }
`);
    await expect(svc.start()).rejects.toThrow(/cannot start extension "health_check"/);
    expect(FakeReceiver.instances.get('fake')!.started).toBe(false);
    blocker.close();
  });
});

afterEach(() => {
  void never;
});
