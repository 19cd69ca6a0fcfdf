/**
 * The istio processor end to end, through the built collector (`node dist/collector/cli.js`) as
 * users run it: the Envoy/Istio-shaped Zipkin v2 bodies of test/fixtures/envoy are POSTed over a
 * real socket to the `zipkin` receiver (as istio-proxy's Zipkin tracer sends them), and the same
 * spans as OTLP/HTTP protobuf to the `otlp` receiver (as its OpenTelemetry tracer would); both
 * pipelines run `istio` and write with the `file` exporter. After SIGTERM the OTLP/JSON lines are
 * read back and every span is checked against the fixtures' expectations.
 * Build first: npx tsc -p tsconfig.json.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequestJson } from '../../collector/pdata/otlp-json-decode.js';
import { encodeTraceRequest } from '../../collector/pdata/otlp-proto.js';
import { anyValueToJs, getStringAttr, idToHex, StatusCode, type Span, type TraceData } from '../../collector/pdata/model.js';
import { ENVOY_FIXTURES, fixtureModel, fixtureSpans, fixtureText } from '../fixtures/envoy/load.js';
import { EXPECTED, TOUCHED_ATTRIBUTES } from '../fixtures/envoy/expected.js';
import { RunningCollector, tempDir, writeConfig } from './harness.js';

let running: RunningCollector | undefined;
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

interface Found {
  span: Span;
  service: string | undefined;
}

function readFileExport(file: string): Map<string, Found> {
  const found = new Map<string, Found>();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  for (const line of lines) {
    const td: TraceData = decodeTraceRequestJson(line);
    for (const rs of td.resourceSpans) {
      const service = getStringAttr(rs.resource?.attributes, 'service.name');
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          const id = idToHex(span.spanId);
          if (found.has(id)) throw new Error(`span ${id} written twice`);
          found.set(id, { span, service });
        }
      }
    }
  }
  return found;
}

/** Tags the Zipkin receiver maps to other fields, as otelcol does: `error` → status, the library → scope. */
const ZIPKIN_MAPPED_TAGS = new Set(['error', 'otel.library.name', 'otel.library.version', 'otel.scope.name', 'otel.scope.version']);

function attrsOf(span: Span): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((kv) => [kv.key, anyValueToJs(kv.value)]));
}

/** Checks every fixture span in one exporter's output; `viaZipkin` for the receiver's own mapping of `error`. */
function checkOutput(found: Map<string, Found>, viaZipkin: boolean): void {
  const tagsById = new Map(ENVOY_FIXTURES.flatMap((f) => fixtureSpans(f).map((z) => [z.id, z.tags ?? {}] as const)));
  expect(found.size).toBe(tagsById.size);
  for (const [fixture, spanId, want] of EXPECTED) {
    const got = found.get(spanId);
    expect(got, `${fixture} span ${spanId} missing`).toBeDefined();
    const { span, service } = got!;
    expect(span.kind, `${spanId} kind`).toBe(want.kind);
    expect(service, `${spanId} service.name`).toBe(want.service);
    const attrs = attrsOf(span);
    for (const [key, value] of Object.entries(want.attrs)) {
      if (viaZipkin && key === 'error') {
        // The Zipkin receiver turns Envoy's `error=true` into the span status, as otelcol does.
        expect(span.status?.code, `${spanId} status`).toBe(StatusCode.ERROR);
        continue;
      }
      expect(attrs[key], `${spanId} ${key}`).toEqual(value);
    }
    for (const [key, value] of Object.entries(tagsById.get(spanId)!)) {
      if (TOUCHED_ATTRIBUTES.has(key) || (viaZipkin && ZIPKIN_MAPPED_TAGS.has(key))) continue;
      expect(attrs[key], `${spanId} ${key} unchanged`).toBe(value);
    }
  }
}

describe('istio processor end to end (built collector, file exporter output)', () => {
  it('corrects Envoy spans arriving as Zipkin v2 JSON and as OTLP/HTTP protobuf', async () => {
    const dir = tempDir();
    const zipkinOut = `${dir}/zipkin.jsonl`;
    const otlpOut = `${dir}/otlp.jsonl`;
    const cfg = writeConfig(
      dir,
      `
receivers:
  zipkin: { endpoint: "127.0.0.1:0" }
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
processors:
  istio: {}
exporters:
  file/zipkin: { path: ${zipkinOut} }
  file/otlp: { path: ${otlpOut} }
service:
  pipelines:
    traces/zipkin: { receivers: [zipkin], processors: [istio], exporters: [file/zipkin] }
    traces/otlp: { receivers: [otlp], processors: [istio], exporters: [file/otlp] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`,
    );
    const c = RunningCollector.start(['--config', cfg]);
    running = c;
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
    const zipkinPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening'));
    const otlpPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'OTLP/HTTP receiver listening'));

    for (const fixture of ENVOY_FIXTURES) {
      const z = await fetch(`http://127.0.0.1:${zipkinPort}/api/v2/spans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: fixtureText(fixture),
      });
      expect(z.status, `${fixture} via zipkin: ${await z.clone().text()}`).toBe(202);
      const o = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: Buffer.from(encodeTraceRequest(fixtureModel(fixture))),
      });
      expect(o.status, `${fixture} via otlp`).toBe(200);
    }

    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    checkOutput(readFileExport(zipkinOut), true);
    checkOutput(readFileExport(otlpOut), false);
  });
});
