/**
 * Issue 9, as a hostile or simply heavy client would try it, against the built collector in a
 * child process with the Deployment's NODE_OPTIONS (read from manifests/collector/deployment.yaml)
 * and its container memory limit turned into the budget the pod would compute (80 % of it):
 *
 * - its backend down and spans queued, the 6 MB / 3M-empty-span protobuf body, a 20 MB one and a
 *   19.5 MB Zipkin `[{},…]` body are refused; the process stays up; legitimate traffic keeps
 *   flowing; the queued spans are delivered when the backend returns;
 * - 32 concurrent gzip bombs and 4 concurrent 10 MB nested JSON bodies: peak RSS (VmHWM from
 *   /proc) stays within the budget;
 * - during a 3 MB Zipkin `[{},…]` body and an 80 KB numeric tag with parse_string_tags, the
 *   health endpoint answers within 1 s (with the shipped limits, and with the limits raised so
 *   that the body is actually decoded).
 *
 * Build first: npx tsc -p tsconfig.json.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../collector/pdata/otlp-proto.js';
import { idToHex } from '../../collector/pdata/model.js';
import { collectorStarter, RunningCollector, repoRoot, tempDir, writeConfig } from './harness.js';
import { emptySpansProtobuf, emptyZipkinSpans, gzipBomb, legitimateRequest, nestedJson, shippedDeployment, zipkinNumericTagSpan } from '../../collector/receiver/internal/testdata/hostile-payloads.js';

const MiB = 1024 * 1024;

/** A fake OTLP/HTTP backend: 503 + Retry-After while down, 200 and records span IDs while up. */
class Backend {
  up = false;
  readonly spanIds = new Set<string>();
  private server?: http.Server;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        if (!this.up) {
          res.writeHead(503, { 'Retry-After': '1' }).end();
          return;
        }
        const td = decodeTraceRequest(Buffer.concat(chunks));
        for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) this.spanIds.add(idToHex(s.spanId));
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}

let backend: Backend | undefined;
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});
// After-each hooks run in reverse order: each test's collector is killed before its backend stops.
const startCollectorProcess = collectorStarter();

interface Started {
  c: RunningCollector;
  http: number;
  grpc: number;
  zipkin: number;
  health: number;
  metrics: number;
  budgetMiB: number;
}

/** The shipped pipeline (memory_limiter, batch 1024) into otlphttp, on 127.0.0.1 with port 0. */
async function startCollector(backendPort: number, extra: { budget?: string; nodeOptions?: string; parseStringTags?: boolean } = {}): Promise<Started> {
  const dep = shippedDeployment(repoRoot);
  const dir = tempDir();
  const cfg = writeConfig(
    dir,
    `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: "127.0.0.1:0" }
      http: { endpoint: "127.0.0.1:0" }
  zipkin: { endpoint: "127.0.0.1:0", parse_string_tags: ${extra.parseStringTags ? 'true' : 'false'} }
processors:
  memory_limiter: { check_interval: 1s, limit_mib: 400, spike_limit_mib: 100 }
  batch: { send_batch_size: 1024, timeout: 200ms }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${backendPort}
    compression: none
    retry_on_failure: { initial_interval: 200ms, max_interval: 1s, max_elapsed_time: 0 }
extensions:
  health_check: { endpoint: "127.0.0.1:0" }
  # What the pod computes from its cgroup limit (80 % of ${dep.memoryLimitMiB}Mi); no cgroup limit here.
  memory_limiter: ${extra.budget ?? `{ limit_mib: ${Math.floor(dep.memoryLimitMiB * 0.8)} }`}
service:
  extensions: [health_check, memory_limiter]
  pipelines:
    traces: { receivers: [otlp, zipkin], processors: [memory_limiter, batch], exporters: [otlphttp] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`,
  );
  const c = startCollectorProcess(['--config', cfg], { NODE_OPTIONS: extra.nodeOptions ?? dep.nodeOptions });
  await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.', 30_000);
  const budget = await c.waitForLog((l) => l.msg === 'memory budget');
  return {
    c,
    http: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening')),
    grpc: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/gRPC receiver listening')),
    zipkin: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening')),
    health: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'health check server listening')),
    metrics: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'serving own metrics at /metrics')),
    budgetMiB: budget.total_mib as number,
  };
}

function post(port: number, p: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', agent: false, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    // The server may answer and close before the whole body is written (refused up front).
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: -1, body: e.code }) : reject(e)));
    req.end(body);
  });
}

async function metric(port: number, name: string, labelPart = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(labelPart))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** Peak resident set size of a process so far (VmHWM), MiB. */
function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
  return kb / 1024;
}

/** Polls the health endpoint every 50 ms while `work` runs; resolves to the slowest answer (ms). */
async function slowestHealthWhile(healthPort: number, work: Promise<unknown>): Promise<number> {
  let done = false;
  let slowest = 0;
  const poll = (async () => {
    while (!done) {
      const t0 = Date.now();
      const r = await fetch(`http://127.0.0.1:${healthPort}/`);
      await r.arrayBuffer();
      expect(r.status).toBe(200);
      slowest = Math.max(slowest, Date.now() - t0);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  await work;
  done = true;
  await poll;
  return slowest;
}

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_H = { 'Content-Type': 'application/json' };

describe('a collector that cannot be crashed (child process, Deployment NODE_OPTIONS)', () => {
  it('backend down, spans queued: hostile bodies are refused, the process stays up, traffic flows, the queue is delivered', async () => {
    backend = new Backend();
    await backend.start();
    const s = await startCollector(backend.port);
    const sent: string[] = [];
    // 20,000 spans accepted and queued while the backend is down.
    for (let i = 0; i < 20; i++) {
      const { body, spanIds } = legitimateRequest(1000);
      expect((await post(s.http, '/v1/traces', body, PB)).status).toBe(200);
      sent.push(...spanIds);
    }
    await expect.poll(() => metric(s.metrics, 'otelcol_exporter_queue_size'), { timeout: 10_000 }).toBeGreaterThan(0);

    const sixMb = emptySpansProtobuf(3_000_000);
    expect(sixMb.length).toBeGreaterThan(6_000_000);
    const r6 = await post(s.http, '/v1/traces', sixMb, PB);
    expect(r6.status).toBe(413);
    expect(r6.body).toMatch(/3000000 spans/);
    const twentyMb = emptySpansProtobuf(10_000_000);
    const r20 = await post(s.http, '/v1/traces', twentyMb, PB);
    expect(r20.status).toBe(413);
    const zipkin = emptyZipkinSpans(19.5 * 1000 * 1000);
    const rz = await post(s.zipkin, '/api/v2/spans', zipkin, JSON_H);
    expect(rz.status).toBe(413);
    expect(s.c.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${s.health}/`)).status).toBe(200);
    expect(await metric(s.metrics, 'otelcol_receiver_refused_spans_total', 'reason="too_many_spans"')).toBe(3_000_000 + 10_000_000 + Math.floor((19.5e6 - 1) / 3));

    // Legitimate traffic keeps flowing, on both transports.
    const more = legitimateRequest(1000);
    expect((await post(s.http, '/v1/traces', more.body, PB)).status).toBe(200);
    sent.push(...more.spanIds);

    // The backend returns: everything accepted arrives.
    backend.up = true;
    await expect.poll(() => backend!.spanIds.size, { timeout: 60_000, interval: 250 }).toBe(sent.length);
    for (const id of sent) expect(backend.spanIds.has(id)).toBe(true);
    expect(s.c.child.exitCode).toBeNull();
  }, 120_000);

  it('32 concurrent gzip bombs and 4 concurrent 10 MB nested JSON bodies: peak RSS stays within the budget', async () => {
    backend = new Backend();
    backend.up = true;
    await backend.start();
    const s = await startCollector(backend.port);
    const bomb = gzipBomb(100 * 1024);
    const nested = nestedJson(10 * MiB);
    const answers = await Promise.all([
      ...Array.from({ length: 32 }, () => post(s.http, '/v1/traces', bomb, { ...PB, 'Content-Encoding': 'gzip' })),
      ...Array.from({ length: 4 }, () => post(s.http, '/v1/traces', nested, JSON_H)),
    ]);
    const bombs = answers.slice(0, 32).map((a) => a.status);
    expect(bombs.every((st) => st === 413 || st === 429)).toBe(true);
    expect(answers.slice(32).map((a) => a.status)).toEqual([400, 400, 400, 400]);
    // and the same once more, for the allocator's sake
    await Promise.all(Array.from({ length: 32 }, () => post(s.http, '/v1/traces', bomb, { ...PB, 'Content-Encoding': 'gzip' })));
    const peak = peakRssMiB(s.c.child.pid!);
    expect(peak).toBeLessThan(s.budgetMiB);
    expect(s.c.child.exitCode).toBeNull();
    const ok = legitimateRequest(100);
    expect((await post(s.http, '/v1/traces', ok.body, PB)).status).toBe(200);
  }, 120_000);

  it.each([
    ['shipped limits (refused before parsing)', undefined],
    // Limits raised so that the 1M-span body is parsed and each span rejected: the cost follows the content.
    ['limits raised (parsed and rejected span by span)', '{ limit_mib: 3000, request_limit_mib: 2500, max_spans_per_request: 2000000 }'],
  ])('health answers within 1 s during a 3 MB Zipkin [{},…] body and an 80 KB numeric tag: %s', async (_n, budget) => {
    backend = new Backend();
    backend.up = true;
    await backend.start();
    const s = await startCollector(backend.port, { budget, parseStringTags: true, nodeOptions: budget ? '' : undefined });
    const empties = emptyZipkinSpans(3 * 1000 * 1000);
    const tag = zipkinNumericTagSpan();
    let answers: { status: number; body: string }[] = [];
    const slowest = await slowestHealthWhile(
      s.health,
      (async () => {
        answers = await Promise.all([post(s.zipkin, '/api/v2/spans', empties, JSON_H), post(s.zipkin, '/api/v2/spans', tag, JSON_H)]);
      })(),
    );
    expect(answers[0].status).toBe(budget ? 400 : 413);
    expect(answers[1].status).toBe(202);
    expect(slowest).toBeLessThan(1000);
  }, 60_000);
});
