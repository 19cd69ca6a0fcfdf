/**
 * End-to-end runs of the built collector through real sockets on 127.0.0.1 (port 0 everywhere,
 * ports read back from the JSON logs): health states, /metrics, and SIGTERM losing nothing.
 * Build first: npx tsc -p tsconfig.json.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { encodeTraceRequest } from '../../collector/pdata/otlp-proto.js';
import { idToHex } from '../../collector/pdata/model.js';
import { makeTraces } from '../../collector/service/testkit.js';
import { RunningCollector, runCli, tempDir, writeConfig, type LogLine } from './harness.js';

let running: RunningCollector | undefined;

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

function config(dir: string, extra = '') {
  return writeConfig(
    dir,
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
processors:
  batch: { timeout: 1h, send_batch_size: 100000 }
exporters:
  file: { path: ${dir}/spans.jsonl }
extensions:
  health_check: { endpoint: "127.0.0.1:0" }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [file] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
${extra}`,
  );
}

async function startCollector(cfgPath: string) {
  const c = RunningCollector.start(['--config', cfgPath]);
  running = c;
  const ready = await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
  const ports = {
    http: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening')),
    health: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'health check server listening')),
    metrics: RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'serving own metrics at /metrics')),
  };
  return { c, ready, ports };
}

function spanIdsInFile(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8').trimEnd();
  if (text === '') return [];
  return text
    .split('\n')
    .flatMap((line) => JSON.parse(line).resourceSpans.flatMap((rs: { scopeSpans: { spans: { spanId: string }[] }[] }) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId))));
}

function metricLine(text: string, name: string, labelPart: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labelPart));
  return line ? Number(line.split(' ').pop()) : undefined;
}

describe('running collector', () => {
  it('validate accepts a good config (exit 0) and prints its warnings', async () => {
    const dir = tempDir();
    const text = fs.readFileSync(config(dir), 'utf8').replace('readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ]', 'address: "127.0.0.1:0"');
    const old = writeConfig(dir, text, 'old.yaml');
    const r = await runCli(['validate', '--config', old]);
    expect(r.stdout).toBe('configuration is valid\n');
    expect(r.stderr).toContain("warning: service.telemetry.metrics.address: deprecated option, ignored by the Collector since v0.123 (meshtrace still honours it); use 'readers: [{ pull: { exporter: { prometheus: { host, port } } } }]'");
    expect(r.code).toBe(0);
  });

  it('health answers 200 when ready; /metrics counts accepted spans; SIGTERM flushes everything and exits 0', async () => {
    const dir = tempDir();
    const { c, ports } = await startCollector(config(dir));

    const health = await fetch(`http://127.0.0.1:${ports.health}/`);
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe('Server available');

    // 5 requests × 100 spans as OTLP/HTTP protobuf from a plain HTTP client…
    const sent: string[] = [];
    for (let r = 0; r < 5; r++) {
      const td = makeTraces(100, `svc-${r}`, r * 100);
      for (const s of td.resourceSpans[0].scopeSpans[0].spans) sent.push(idToHex(s.spanId));
      const res = await fetch(`http://127.0.0.1:${ports.http}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeTraceRequest(td),
      });
      expect(res.status).toBe(200);
    }
    // …and 30 real SDK spans through the official OTLP/proto exporter.
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'sdk-client' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${ports.http}/v1/traces` }))],
    });
    const tracer = provider.getTracer('e2e');
    for (let i = 0; i < 30; i++) {
      const span = tracer.startSpan(`op-${i}`);
      sent.push(span.spanContext().spanId);
      span.end();
    }
    await provider.forceFlush();
    await provider.shutdown();

    // The batch processor (timeout 1h) holds everything: nothing in the file yet.
    expect(spanIdsInFile(`${dir}/spans.jsonl`)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(metricLine(metrics, 'otelcol_receiver_accepted_spans_total', 'receiver="otlp"')).toBe(530);
    expect(metrics).toContain('otelcol_process_uptime_seconds');

    c.kill('SIGTERM');
    const exit = await c.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const got = spanIdsInFile(`${dir}/spans.jsonl`);
    expect(got.length).toBe(530);
    expect(new Set(got)).toEqual(new Set(sent));
    expect(c.logs.some((l: LogLine) => l.msg === 'shutdown complete' && l.deadline_passed === false)).toBe(true);
    expect(c.logs.some((l: LogLine) => l.msg === 'spans dropped')).toBe(false);
  });

  it('SIGINT also shuts down gracefully with exit 0, and health/metrics ports close', async () => {
    const dir = tempDir();
    const { c, ports } = await startCollector(config(dir));
    c.kill('SIGINT');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`http://127.0.0.1:${ports.health}/`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).rejects.toThrow();
  });

  it('logs are JSON lines at the configured level (config warnings included)', async () => {
    const dir = tempDir();
    const text = fs
      .readFileSync(config(dir), 'utf8')
      .replace('  telemetry:\n', '  telemetry:\n    logs: { level: warn }\n')
      .replace('readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ]', 'address: "127.0.0.1:0"');
    const c = RunningCollector.start(['--config', writeConfig(dir, text, 'warn.yaml')]);
    running = c;
    const warning = await c.waitForLog((l) => l.path === 'service.telemetry.metrics.address');
    expect(warning).toMatchObject({ level: 'warn', service: 'meshtrace-collector' });
    expect(String(warning.msg)).toContain('deprecated option');
    await new Promise((r) => setTimeout(r, 700));
    c.kill('SIGTERM');
    expect((await c.exited).code).toBe(0);
    expect(c.logs.length).toBeGreaterThan(0);
    expect(c.logs.every((l) => ['warn', 'error', 'fatal'].includes(String(l.level)))).toBe(true);
  });

  it('a port already in use fails start-up with exit 1 and a clear message', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    const text = fs.readFileSync(config(dir), 'utf8').replace('health_check: { endpoint: "127.0.0.1:0" }', `health_check: { endpoint: "127.0.0.1:${port}" }`);
    const r = await runCli(['--config', writeConfig(dir, text, 'busy.yaml')]);
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot start extension "health_check"');
    expect(r.stderr).toContain('EADDRINUSE');
  });
});
