/**
 * sigv4auth's credentials, through the AWS SDK's own providers and real local servers: rotating
 * credentials from an EKS Pod Identity-style container credential endpoint (picked up between
 * requests, retries signed again with the newer ones), STS AssumeRole through a fake STS, and the
 * start-time errors. Every request lands on the fake X-Ray OTLP endpoint, which checks the
 * signature with its own verifier.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Extension, Factory, TracesExporter } from '../../component/component.js';
import { otlpHttpExporterFactory } from '../../exporter/otlphttpexporter/factory.js';
import { FakeXrayOtlp, TEST_CREDENTIALS, TEST_REGION } from '../../exporter/otlphttpexporter/testdata/fake-xray-otlp.js';
import { captureLogger, startWithAuth, waitFor, type Started } from '../../exporter/otlphttpexporter/testdata/exporter-with-auth.js';
import { many, resource, td } from '../../exporter/otlphttpexporter/testdata/spans.js';
import { FakeSts, LocalHttpFake, TEMP_CREDENTIALS } from '../../exporter/awsxrayexporter/testdata/fake-xray.js';
import { sigv4AuthExtensionFactory } from './factory.js';

const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL_STS',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN',
];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

beforeEach(() => {
  // Nothing from this machine leaks into the chain: no files, no instance metadata.
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = '/nonexistent/meshtrace-test-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/meshtrace-test-credentials';
});
afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

/**
 * EKS Pod Identity's agent as the SDK sees it (AWS_CONTAINER_CREDENTIALS_FULL_URI + a token file):
 * new credentials on every call, each valid for 4 minutes — under the SDK's 5-minute refresh
 * window, so every use triggers a refresh, as a credential nearing its expiry does.
 */
class FakePodIdentityAgent extends LocalHttpFake {
  readonly calls: { authorization?: string }[] = [];
  constructor(private readonly xray: FakeXrayOtlp) {
    super();
  }
  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req) void _;
    const n = this.calls.push({ authorization: req.headers.authorization });
    const creds = { AccessKeyId: `ASIAPODIDENTITY${String(n).padStart(4, '0')}`, SecretAccessKey: `rotated-secret-${n}`, Token: `pod-token-${n}` };
    this.xray.allow(creds.AccessKeyId, creds.SecretAccessKey);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...creds, Expiration: new Date(Date.now() + 4 * 60_000).toISOString() }));
  }
}

const fake = new FakeXrayOtlp();
let running: Started | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-sigv4-'));
beforeAll(() => fake.start());
afterAll(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  fake.requests.length = 0;
});

async function start(sigv4: Record<string, unknown>, exporterConfig: Record<string, unknown> = {}, logger = captureLogger().logger): Promise<Started> {
  running = await startWithAuth({
    extensionFactory: sigv4AuthExtensionFactory as unknown as Factory<unknown, Extension>,
    extensionConfig: sigv4,
    exporterFactory: otlpHttpExporterFactory as unknown as Factory<unknown, TracesExporter>,
    exporterConfig: { endpoint: fake.url, retry_on_failure: { initial_interval: '20ms', max_interval: '50ms' }, ...exporterConfig },
    logger,
  });
  return running;
}

async function sendBatches(r: Started, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = await r.sent();
    await r.exporter.consumeTraces(td(resource('svc', many(Date.now(), 2))));
    await waitFor(async () => (await r.sent()) === before + 2, `batch ${i} delivered`);
  }
}

describe('credentials from the default chain, refreshed while running', () => {
  it('Pod Identity credentials rotate between requests; each request verifies with the credentials it was signed with', async () => {
    const agent = new FakePodIdentityAgent(fake);
    await agent.start();
    try {
      const tokenFile = path.join(tmp, 'eks-pod-identity-token');
      fs.writeFileSync(tokenFile, 'pod-identity-jwt');
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${agent.url}/v1/credentials`;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = tokenFile;
      const r = await start({ region: TEST_REGION, service: 'xray' });
      await sendBatches(r, 5);
      expect(fake.requests.map((q) => q.status)).toEqual([200, 200, 200, 200, 200]);
      const keys = fake.requests.map((q) => q.accessKeyId!);
      expect(new Set(keys).size, `access keys used: ${keys.join(', ')}`).toBeGreaterThanOrEqual(3);
      for (const q of fake.requests) {
        const n = Number(q.accessKeyId!.slice(-4));
        expect(q.securityToken).toBe(`pod-token-${n}`);
      }
      // Used in order: a request never goes back to older credentials.
      expect([...keys].sort()).toEqual(keys);
      expect(agent.calls.every((c) => c.authorization === 'pod-identity-jwt')).toBe(true);
    } finally {
      await agent.stop();
    }
  });

  it('a retry is signed again, with the credentials current at that moment', async () => {
    const agent = new FakePodIdentityAgent(fake);
    await agent.start();
    try {
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${agent.url}/v1/credentials`;
      const r = await start({ region: TEST_REGION, service: 'xray' });
      await sendBatches(r, 2); // past the first fetch: from now on each use refreshes
      // Retry-After 1 s: the refresh the failed attempt started has long finished by the retry.
      fake.answerNext({ status: 503, headers: { 'retry-after': '1' } });
      await sendBatches(r, 1);
      const [failed, retried] = fake.requests.slice(-2);
      expect([failed!.status, retried!.status]).toEqual([503, 200]);
      expect(retried!.accessKeyId).not.toBe(failed!.accessKeyId);
      expect(retried!.headers.authorization).not.toBe(failed!.headers.authorization);
    } finally {
      await agent.stop();
    }
  });
});

describe('assume_role through STS', () => {
  it('assumes the role once (cached until near expiry) and signs with the temporary credentials', async () => {
    const sts = new FakeSts(TEST_REGION);
    await sts.start();
    try {
      process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
      // The SDK's standard per-service endpoint override points STS at the fake.
      process.env.AWS_ENDPOINT_URL_STS = sts.url;
      fake.allow(TEMP_CREDENTIALS.accessKeyId, TEMP_CREDENTIALS.secretAccessKey);
      const r = await start({
        region: TEST_REGION,
        service: 'xray',
        assume_role: { arn: 'arn:aws:iam::123456789012:role/meshtrace-xray', session_name: 'mesh-collector' },
      });
      await sendBatches(r, 3);
      expect(sts.calls).toEqual([{ roleArn: 'arn:aws:iam::123456789012:role/meshtrace-xray', sessionName: 'mesh-collector', externalId: undefined, signatureOk: true, problem: undefined }]);
      for (const q of fake.requests) {
        expect(q).toMatchObject({ status: 200, accessKeyId: TEMP_CREDENTIALS.accessKeyId, securityToken: TEMP_CREDENTIALS.sessionToken });
        expect(q.signedHeaders).toContain('x-amz-security-token');
      }
    } finally {
      await sts.stop();
    }
  });
});

describe('start-up', () => {
  it('infers service and region from an X-Ray host name', async () => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    const { logger, lines } = captureLogger();
    // Nothing is sent: only start() resolves the destination.
    await start({}, { endpoint: 'https://xray.eu-west-1.amazonaws.com' }, logger);
    expect(lines.find((l) => l.msg === 'signing requests with SigV4')).toMatchObject({ aws_service: 'xray', aws_region: 'eu-west-1' });
    expect(lines.some((l) => String(l.msg).startsWith('X-Ray OTLP endpoint: requests kept within'))).toBe(true);
  });

  it('takes the region from AWS_REGION when the host does not say', async () => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = TEST_REGION;
    const r = await start({ service: 'xray' });
    await sendBatches(r, 1);
    expect(fake.requests[0]!.headers.authorization).toContain(`/${TEST_REGION}/xray/aws4_request`);
  });

  it.each([
    [{ region: 'us-east-1' }, 'exporters.otlphttp.auth.authenticator: extensions.sigv4auth cannot tell the AWS service to sign for from 127.0.0.1:'],
    [{ service: 'xray' }, 'exporters.otlphttp.auth.authenticator: extensions.sigv4auth cannot tell the AWS region from 127.0.0.1:'],
  ])('%j on a 127.0.0.1 endpoint: start fails with %s…', async (cfg, message) => {
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    await expect(start(cfg)).rejects.toThrow(message);
  });

  it('no credentials anywhere: start logs it and goes on; sends fail retryably, the spans stay queued', async () => {
    const { logger, lines } = captureLogger();
    const r = await start({ region: TEST_REGION, service: 'xray' }, {}, logger);
    expect(lines.find((l) => l.msg?.toString().startsWith('no AWS credentials yet'))).toBeDefined();
    await r.exporter.consumeTraces(td(resource('svc', many(Date.now(), 2))));
    await waitFor(async () => {
      const failed = (await r.metrics.exporterSendFailed.get()).values.find((v) => v.labels.reason === 'retryable');
      return (failed?.value ?? 0) >= 2;
    }, 'a retryable failure');
    expect(fake.requests).toHaveLength(0);
    expect(await r.dropped()).toEqual({});
    expect(lines.some((l) => String(l.error ?? '').includes('cannot authenticate the request'))).toBe(true);
    // Still unsent at shutdown: counted, not lost silently.
    await r.stop(200);
    running = undefined;
    expect(await r.dropped()).toEqual({ shutdown_deadline: 2 });
  });
});
