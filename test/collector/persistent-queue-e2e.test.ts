/**
 * The persistent sending queue end to end: the built collector (`node dist/collector/cli.js`) in
 * a child process with `file_storage` and `otlphttp` → a backend on 127.0.0.1, spans from the
 * official OpenTelemetry JS SDK exporter, `kill -9`, restart with the same config and directory.
 * Build first: npx tsc -p tsconfig.json.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeTraceRequest } from '../../collector/pdata/otlp-proto.js';
import { idToHex } from '../../collector/pdata/model.js';
import { killAll, persistentQueueConfig, RunningCollector, tempDir } from './harness.js';

/** An OTLP/HTTP backend: `mode` decides the answer; accepted span IDs are recorded. */
class Backend {
  mode: 'down' | 'up' | 'slow' = 'down';
  readonly received: string[] = [];
  requests = 0;
  private server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      this.requests++;
      if (this.mode === 'down') return void res.writeHead(503, { 'retry-after': '0' }).end();
      const answer = () => {
        if (res.destroyed) return;
        const td = decodeTraceRequest(Buffer.concat(parts));
        for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) this.received.push(idToHex(s.spanId));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      };
      if (this.mode === 'slow') setTimeout(answer, 300);
      else answer();
    });
  });
  port = 0;
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
  distinct(): number {
    return new Set(this.received).size;
  }
}

const running: RunningCollector[] = [];
const backends: Backend[] = [];
afterEach(async () => {
  await killAll(running);
  for (const b of backends.splice(0)) await b.stop();
});

function config(dir: string, backendPort: number): string {
  return persistentQueueConfig(dir, {
    endpoint: `http://127.0.0.1:${backendPort}`,
    queueDir: `${dir}/queue`,
    storage: 'create_directory: true',
    retry: '{ initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }',
    queue: 'queue_size_spans: 50000',
    metrics: '{ readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }',
  });
}

async function start(cfg: string) {
  // The Deployment's heap limit, as in the cluster.
  const c = RunningCollector.start(['--config', cfg], { NODE_OPTIONS: '--max-old-space-size=384' });
  running.push(c);
  await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.', 30_000);
  const http = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening'));
  const metrics = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'serving own metrics at /metrics'));
  return { c, http, metrics };
}

async function queueSize(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('otelcol_exporter_queue_size') && l.includes('exporter="otlphttp"'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** `n` spans through the official OTLP/proto exporter; resolves once the collector answered them all. */
async function sendSpans(port: number, n: number): Promise<string[]> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` }), {
        maxQueueSize: n,
        maxExportBatchSize: 1000,
        scheduledDelayMillis: 10,
      }),
    ],
  });
  const tracer = provider.getTracer('e2e');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`GET /items/${i}`, { attributes: { 'http.method': 'GET', 'item.id': i } });
    ids.push(span.spanContext().spanId);
    span.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return ids;
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('persistent sending queue: kill -9 and restart (real collector process)', () => {
  it('20,000 spans queued while the backend is down survive kill -9: after a restart all 20,000 arrive', async () => {
    const dir = tempDir();
    const backend = new Backend();
    backends.push(backend);
    await backend.start();
    const cfg = config(dir, backend.port);

    const first = await start(cfg);
    const sent = await sendSpans(first.http, 20_000);
    expect(new Set(sent).size).toBe(20_000);
    await waitUntil(async () => (await queueSize(first.metrics)) === 20_000, 10_000, 'the queue to hold 20,000 spans');
    expect(backend.received.length).toBe(0);
    expect(backend.requests).toBeGreaterThan(0); // it tried, the backend refused
    first.c.kill('SIGKILL');
    expect(await first.c.exited).toEqual({ code: null, signal: 'SIGKILL' });

    backend.mode = 'up';
    const second = await start(cfg);
    const resumed = await second.c.waitForLog((l) => l.msg === 'persistent queue: resuming the batches a previous run left');
    expect(resumed.spans).toBe(20_000);
    await waitUntil(() => backend.distinct() === 20_000, 30_000, 'all 20,000 spans at the backend');
    expect(new Set(backend.received)).toEqual(new Set(sent));
    await waitUntil(async () => (await queueSize(second.metrics)) === 0, 10_000, 'the queue to drain');
    expect(second.c.logs.some((l) => l.msg === 'spans dropped')).toBe(false);
  }, 120_000);

  it('kill -9 during delivery: everything accepted arrives after the restart (at least once)', async () => {
    const dir = tempDir();
    const backend = new Backend();
    backends.push(backend);
    await backend.start();
    backend.mode = 'slow'; // answers after 300 ms: calls are in flight when the process dies
    const cfg = config(dir, backend.port);

    const first = await start(cfg);
    const sent = await sendSpans(first.http, 5_000);
    await waitUntil(() => backend.requests > 0, 5_000, 'delivery to begin');
    first.c.kill('SIGKILL');
    await first.c.exited;
    const before = backend.distinct();
    expect(before).toBeLessThan(5_000); // the kill did cut delivery short

    backend.mode = 'up';
    await start(cfg);
    await waitUntil(() => backend.distinct() === 5_000, 30_000, 'all 5,000 spans at the backend');
    expect(new Set(backend.received)).toEqual(new Set(sent));
  }, 120_000);
});
