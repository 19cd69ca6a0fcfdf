/**
 * otlphttp + sigv4auth to a fake X-Ray OTLP endpoint on 127.0.0.1 that verifies SigV4 with its own
 * verifier (not the AWS SDK signer the exporter uses) and refuses whole requests that break
 * X-Ray's limits, as the service does. Credentials: static ones in the environment (the default
 * chain's first link); rotation and AssumeRole are in sigv4authextension/sigv4auth.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Extension, Factory, TracesExporter } from '../../component/component.js';
import { sigv4AuthExtensionFactory } from '../../extension/sigv4authextension/factory.js';
import { otlpHttpExporterFactory } from './factory.js';
import { FakeHttpBackend } from './testkit.js';
import { FakeXrayOtlp, TEST_CREDENTIALS, TEST_REGION } from './testdata/fake-xray-otlp.js';
import { captureLogger, startWithAuth, waitFor, type Started } from './testdata/exporter-with-auth.js';
import { count, DAY, HOUR, ids, many, resource, td, testSpan } from './testdata/spans.js';

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function useCredentials(c: { accessKeyId: string; secretAccessKey: string }): void {
  process.env.AWS_ACCESS_KEY_ID = c.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = c.secretAccessKey;
}

beforeAll(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = '/nonexistent/meshtrace-test-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/meshtrace-test-credentials';
  useCredentials(TEST_CREDENTIALS);
});
afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const fake = new FakeXrayOtlp();
let running: Started | undefined;
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(async () => {
  await running?.stop();
  running = undefined;
  fake.requests.length = 0;
  useCredentials(TEST_CREDENTIALS);
});

const FAST_RETRY = { initial_interval: '20ms', max_interval: '50ms', max_elapsed_time: '10s' };

async function start(exporterConfig: Record<string, unknown> = {}, sigv4: Record<string, unknown> = { region: TEST_REGION, service: 'xray' }, logger = captureLogger().logger) {
  running = await startWithAuth({
    extensionFactory: sigv4AuthExtensionFactory as unknown as Factory<unknown, Extension>,
    extensionConfig: sigv4,
    exporterFactory: otlpHttpExporterFactory as unknown as Factory<unknown, TracesExporter>,
    exporterConfig: { endpoint: fake.url, retry_on_failure: FAST_RETRY, ...exporterConfig },
    expId: 'otlphttp/xray',
    logger,
  });
  return running;
}

describe('SigV4 as X-Ray checks it', () => {
  it('signs for service xray in the region, over the gzip body as sent; the independent verifier accepts it', async () => {
    const r = await start();
    const batch = td(resource('productpage.bookinfo', many(Date.now(), 20)));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 20, 'the batch delivered');
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.status, req.problem).toBe(200);
    expect(req.spanIds).toEqual(ids(batch));
    const auth = String(req.headers.authorization);
    expect(auth).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/\\d{8}/${TEST_REGION}/xray/aws4_request, SignedHeaders=`));
    // Every header that shapes the request is covered by the signature.
    expect(req.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type', 'content-encoding', 'content-length', 'x-amz-content-sha256']));
    // The payload hash is that of the gzip bytes on the wire, not of the protobuf inside.
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['x-amz-content-sha256']).toBe(req.wireSha256);
    expect(req.wireBytes).toBeLessThan(req.rawBytes);
  });

  it('a wrong secret gets 403 from the verifier: counted as dropped (http_403, permanent by the OTLP rules)', async () => {
    useCredentials({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    const r = await start();
    await r.exporter.consumeTraces(td(resource('a', many(Date.now(), 5))));
    await waitFor(async () => (await r.dropped()).http_403 === 5, 'the 5 spans dropped as http_403');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.problem).toMatch(/signature mismatch/);
  });

  it('a signature for another region or service is refused too (the verifier checks the scope)', async () => {
    const r = await start({}, { region: 'eu-west-1', service: 'xray' });
    await r.exporter.consumeTraces(td(resource('a', many(Date.now(), 1))));
    await waitFor(() => fake.requests.length === 1, 'one request');
    expect(fake.requests[0]).toMatchObject({ status: 403 });
    expect(fake.requests[0]!.problem).toMatch(/scope region eu-west-1, expected us-west-2/);
  });
});

describe("X-Ray's limits (recognised through sigv4auth signing for xray, on a 127.0.0.1 endpoint)", () => {
  it('25,000 spans in one batch → three requests of at most 10,000, every span delivered once', async () => {
    const r = await start();
    const batch = td(resource('a', many(Date.now(), 12_000)), resource('b', many(Date.now(), 13_000)));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 25_000, 'all spans sent', 20_000);
    expect(fake.requests.map((q) => [q.status, q.spans])).toEqual([[200, 10_000], [200, 10_000], [200, 5_000]]);
    expect(fake.acceptedSpanIds()).toEqual(ids(batch));
    expect(await r.dropped()).toEqual({});
  });

  it('~9 MB of spans → requests of at most 5 MB uncompressed, every span delivered once', async () => {
    const r = await start();
    const batch = td(resource('a', many(Date.now(), 300, { attrBytes: 30_000 })));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 300, 'all spans sent', 20_000);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    for (const q of fake.requests) {
      expect(q.status, q.problem).toBe(200);
      expect(q.rawBytes).toBeLessThanOrEqual(5_000_000);
    }
    expect(fake.acceptedSpanIds()).toEqual(ids(batch));
  });

  it('oversized, too old and future spans are dropped, counted by reason and logged; the rest is delivered', async () => {
    const { logger, lines } = captureLogger();
    const r = await start({}, undefined, logger);
    const now = Date.now();
    const good = many(now, 10);
    const batch = td(resource('a', [
      good[0]!, testSpan(now, { attrBytes: 250_000, name: 'huge' }),
      ...good.slice(1, 5), testSpan(now, { startMs: now - 15 * DAY, name: 'stale' }),
      ...good.slice(5), testSpan(now, { startMs: now + 3 * HOUR, name: 'skewed' }),
    ]));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 10, 'the 10 good spans sent');
    expect(fake.acceptedSpanIds()).toEqual(good.map((s) => ids(td(resource('x', [s])))[0]));
    expect(await r.dropped()).toEqual({ xray_span_too_large: 1, xray_span_too_old: 1, xray_span_in_future: 1 });
    const logged = lines.filter((l) => l.msg === 'spans dropped').map((l) => [l.reason, l.dropped_spans, String(l.detail)]);
    expect(logged).toEqual(expect.arrayContaining([
      ['xray_span_too_large', 1, expect.stringMatching(/span "huge" .* is 250,\d{3} bytes/)],
      ['xray_span_too_old', 1, expect.stringMatching(/span "stale" .* started 15\.0 days ago/)],
      ['xray_span_in_future', 1, expect.stringMatching(/span "skewed" .* 3\.0 h in the future/)],
    ]));
    // The fake checks each limit itself: no request was refused.
    expect(fake.requests.every((q) => q.status === 200)).toBe(true);
  });

  it('a batch spread over 3 days goes as one request per 24 h window', async () => {
    const r = await start();
    const now = Date.now();
    const batch = td(resource('a', [...many(now, 2, { startMs: now - 2 * DAY - HOUR }), ...many(now, 2, { startMs: now - DAY - HOUR }), ...many(now, 2)]));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 6, 'all sent');
    expect(fake.requests.map((q) => [q.status, q.spans])).toEqual([[200, 2], [200, 2], [200, 2]]);
  });

  it('a 503 on the second of three requests retries that one and the third only; nothing twice', async () => {
    const r = await start();
    fake.answerNext({ status: 200, body: '' }, { status: 503, headers: { 'retry-after': '0' } });
    const batch = td(resource('a', many(Date.now(), 25_000)));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 25_000, 'all sent', 20_000);
    expect(fake.requests.map((q) => q.status)).toEqual([200, 503, 200, 200]);
    expect(fake.requests.map((q) => q.spans)).toEqual([10_000, 10_000, 10_000, 5_000]);
    expect(fake.acceptedSpanIds()).toEqual(ids(batch));
    expect(await r.dropped()).toEqual({});
  });

  it('a request that hangs times out alone (timeout is per request): it and the next are retried, the first is not sent twice', async () => {
    const r = await start({ timeout: '300ms' });
    fake.answerNext({ status: 200 }, { status: 0 });
    const batch = td(resource('a', many(Date.now(), 25_000)));
    await r.exporter.consumeTraces(batch);
    await waitFor(async () => (await r.sent()) === 25_000, 'all sent', 20_000);
    expect(fake.requests.map((q) => q.status)).toEqual([200, 0, 200, 200]);
    expect(fake.acceptedSpanIds()).toEqual(ids(batch));
  });

  it('a 400 on one of three requests drops that one only (counted), the other two are delivered', async () => {
    const r = await start();
    fake.answerNext({ status: 400, body: JSON.stringify({ code: 3, message: 'bad span' }) });
    await r.exporter.consumeTraces(td(resource('a', many(Date.now(), 25_000))));
    await waitFor(async () => (await r.sent()) === 15_000 && (await r.dropped()).rejected_by_destination === 10_000, 'sent 15,000, dropped 10,000', 20_000);
    expect(fake.requests.map((q) => q.status)).toEqual([400, 200, 200]);
  });

  it.each([
    [400, 'http_400'],
    [403, 'http_403'],
    [413, 'http_413'],
  ])('a single request answered %i is dropped as %s (OTLP: 4xx other than 429 are permanent)', async (status, reason) => {
    const r = await start();
    fake.answerNext({ status });
    await r.exporter.consumeTraces(td(resource('a', many(Date.now(), 3))));
    await waitFor(async () => (await r.dropped())[reason] === 3, `dropped as ${reason}`);
    expect(fake.requests).toHaveLength(1);
  });

  it('429 is retried (waiting Retry-After), then delivered', async () => {
    const r = await start();
    fake.answerNext({ status: 429, headers: { 'retry-after': '0' } });
    await r.exporter.consumeTraces(td(resource('a', many(Date.now(), 3))));
    await waitFor(async () => (await r.sent()) === 3, 'delivered after the retry');
    expect(fake.requests.map((q) => q.status)).toEqual([429, 200]);
    // The retry was signed again: it carries its own valid signature (the fake verified it).
    expect(fake.requests[1]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });
});

describe('not X-Ray: no limits applied', () => {
  it('sigv4auth for another service (aps) on a plain backend sends 12,000 spans as one request', async () => {
    const backend = new FakeHttpBackend();
    await backend.start();
    try {
      running = await startWithAuth({
        extensionFactory: sigv4AuthExtensionFactory as unknown as Factory<unknown, Extension>,
        extensionConfig: { region: 'us-east-1', service: 'aps' },
        exporterFactory: otlpHttpExporterFactory as unknown as Factory<unknown, TracesExporter>,
        exporterConfig: { endpoint: `http://127.0.0.1:${backend.port}` },
      });
      const batch = td(resource('a', many(Date.now(), 12_000)), resource('b', many(Date.now(), 1, { startMs: Date.now() - 20 * DAY })));
      await running.exporter.consumeTraces(batch);
      await waitFor(() => backend.requests.length === 1, 'one request');
      expect(count(backend.requests[0]!.td)).toBe(12_001);
      expect(String(backend.requests[0]!.headers.authorization)).toMatch(/\/us-east-1\/aps\/aws4_request/);
    } finally {
      await running?.stop();
      running = undefined;
      await backend.stop();
    }
  });
});
