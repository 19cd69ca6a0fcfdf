/**
 * X-Ray's OTLP route end to end, as users run it: the built collector (`node dist/collector/cli.js`)
 * receives istio-proxy's Zipkin spans (the Envoy/Istio fixtures, moved to the present: X-Ray takes
 * spans up to 14 days old), runs the istio processor, and exports with `otlphttp` + `sigv4auth`
 * to a fake X-Ray OTLP endpoint on 127.0.0.1 that verifies every signature with its own SigV4
 * verifier. The spans X-Ray stores carry the istio corrections: span kind, direction, integer
 * status code, service names.
 * Build first: npx tsc -p tsconfig.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyValueToJs, getStringAttr, idToHex, StatusCode, type Span } from '../../collector/pdata/model.js';
import { FakeXrayOtlp, TEST_CREDENTIALS, TEST_REGION } from '../../collector/exporter/otlphttpexporter/testdata/fake-xray-otlp.js';
import { ENVOY_FIXTURES, fixtureSpans } from '../fixtures/envoy/load.js';
import { EXPECTED } from '../fixtures/envoy/expected.js';
import { RunningCollector, tempDir, writeConfig } from './harness.js';

const fake = new FakeXrayOtlp();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** The fixture's Zipkin JSON with its timestamps moved so the latest span started a minute ago. */
function presentDayZipkin(fixture: (typeof ENVOY_FIXTURES)[number], offsetUs: number): string {
  return JSON.stringify(fixtureSpans(fixture).map((z) => (z.timestamp === undefined ? z : { ...z, timestamp: z.timestamp + offsetUs })));
}

describe('otlphttp + sigv4auth to X-Ray OTLP (built collector)', () => {
  it('delivers the istio-corrected spans, signed, to the fake X-Ray endpoint', async () => {
    const dir = tempDir();
    const cfg = writeConfig(
      dir,
      `
receivers:
  zipkin: { endpoint: "127.0.0.1:0" }
processors:
  istio: {}
  batch: { timeout: 50ms }
exporters:
  otlphttp/xray:
    endpoint: ${fake.url}
    auth: { authenticator: sigv4auth }
extensions:
  sigv4auth: { region: ${TEST_REGION}, service: xray }
service:
  extensions: [sigv4auth]
  pipelines:
    traces: { receivers: [zipkin], processors: [istio, batch], exporters: [otlphttp/xray] }
  telemetry:
    metrics: { level: none }
`,
    );
    const c = RunningCollector.start(['--config', cfg], {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/meshtrace-e2e',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/meshtrace-e2e',
    });
    try {
      await deliverFixtures(c);
    } finally {
      if (c.child.exitCode === null) c.kill('SIGKILL');
    }
    checkWhatXrayGot();
  });
});

/** Posts every fixture, moved to the present, to the Zipkin receiver; then stops the collector (it flushes). */
async function deliverFixtures(c: RunningCollector): Promise<void> {
  await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
  const zipkinPort = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening'));

  const latest = Math.max(...ENVOY_FIXTURES.flatMap((f) => fixtureSpans(f).map((z) => z.timestamp ?? 0)));
  const offsetUs = (Date.now() - 60_000) * 1000 - latest;
  for (const fixture of ENVOY_FIXTURES) {
    const res = await fetch(`http://127.0.0.1:${zipkinPort}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: presentDayZipkin(fixture, offsetUs) });
    expect(res.status, fixture).toBe(202);
  }
  c.kill('SIGTERM');
  expect(await c.exited).toEqual({ code: 0, signal: null });
}

/** What the fake X-Ray endpoint accepted: every request signed and within limits, every span corrected. */
function checkWhatXrayGot(): void {
  // Every request was signed for xray in the region and passed the fake's verifier and limits.
  expect(fake.requests.length).toBeGreaterThan(0);
  for (const q of fake.requests) {
    expect(q.status, q.problem).toBe(200);
    expect(String(q.headers.authorization)).toContain(`/${TEST_REGION}/xray/aws4_request`);
  }
  const found = new Map<string, { span: Span; service?: string }>();
  for (const q of fake.requests) {
    for (const rs of q.td!.resourceSpans) {
      for (const ss of rs.scopeSpans) for (const span of ss.spans) found.set(idToHex(span.spanId), { span, service: getStringAttr(rs.resource?.attributes, 'service.name') });
    }
  }
  expect(found.size).toBe(ENVOY_FIXTURES.reduce((n, f) => n + fixtureSpans(f).length, 0));
  for (const [fixture, spanId, want] of EXPECTED) {
    const got = found.get(spanId);
    expect(got, `${fixture} span ${spanId} missing`).toBeDefined();
    expect(got!.span.kind, `${spanId} kind`).toBe(want.kind);
    expect(got!.service, `${spanId} service.name`).toBe(want.service);
    const attrs = Object.fromEntries(got!.span.attributes.map((kv) => [kv.key, anyValueToJs(kv.value)]));
    for (const [key, value] of Object.entries(want.attrs)) {
      // The Zipkin receiver turns Envoy's `error=true` into the span status, as otelcol does.
      if (key === 'error') expect(got!.span.status?.code, `${spanId} status`).toBe(StatusCode.ERROR);
      else expect(attrs[key], `${spanId} ${key}`).toEqual(value);
    }
  }
}
