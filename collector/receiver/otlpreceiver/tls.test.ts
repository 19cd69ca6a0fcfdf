import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { otlpReceiverFactory } from './factory.js';
import type { OtlpReceiver } from './receiver.js';
import { zipkinReceiverFactory } from '../zipkinreceiver/factory.js';
import { ConfigIssues } from '../../config/issues.js';
import { CapturingConsumer, TestHost, testSettings } from '../internal/testkit.js';
import { idToHex, spanCount } from '../../pdata/model.js';

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl. */
function makePki(dir: string) {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=meshtrace-test-ca']);
  for (const name of ['server', 'client']) {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`]);
  }
  const read = (f: string) => fs.readFileSync(path.join(dir, f));
  return { dir, ca: read('ca.pem'), clientCert: read('client.pem'), clientKey: read('client.key') };
}

function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.getTracer('tls').startSpan('secure').end();
  return memory.getFinishedSpans();
}
const exportWith = (e: SpanExporter, spans: ReadableSpan[]) => new Promise<ExportResult>((resolve) => e.export(spans, resolve));

let pki: ReturnType<typeof makePki>;
beforeAll(() => {
  pki = makePki(fs.mkdtempSync(path.join(os.tmpdir(), 'mt-tls-')));
});
afterAll(() => fs.rmSync(pki.dir, { recursive: true, force: true }));

async function start(tls: Record<string, unknown>) {
  const issues = new ConfigIssues();
  const cfg = otlpReceiverFactory.parseConfig({ protocols: { grpc: { endpoint: '127.0.0.1:0', tls }, http: { endpoint: '127.0.0.1:0', tls } } }, 'receivers.otlp', issues);
  expect(issues.errors).toEqual([]);
  const consumer = new CapturingConsumer();
  const receiver: OtlpReceiver = otlpReceiverFactory.create(cfg, testSettings('otlp/tls'), consumer);
  await receiver.start(new TestHost());
  return { receiver, consumer };
}

describe('TLS (configtls keys)', () => {
  it('serves OTLP over TLS to the official gRPC and HTTP exporters', async () => {
    const { receiver, consumer } = await start({ cert_file: `${pki.dir}/server.pem`, key_file: `${pki.dir}/server.key` });
    try {
      const spans = sdkSpans();
      const g = new GrpcExporter({ url: `https://127.0.0.1:${receiver.grpcPort}`, credentials: grpc.credentials.createSsl(pki.ca) });
      expect((await exportWith(g, spans)).code).toBe(ExportResultCode.SUCCESS);
      await g.shutdown();
      const h = new HttpProtoExporter({ url: `https://127.0.0.1:${receiver.httpPort}/v1/traces`, httpAgentOptions: { ca: pki.ca } });
      const hr = await exportWith(h, spans);
      expect(hr.code, String(hr.error)).toBe(ExportResultCode.SUCCESS);
      await h.shutdown();
      expect(consumer.received.map((td) => idToHex(td.resourceSpans[0].scopeSpans[0].spans[0].spanId))).toEqual([spans[0].spanContext().spanId, spans[0].spanContext().spanId]);
      // A client that does not trust the CA is refused at the handshake.
      const untrusted = new HttpProtoExporter({ url: `https://127.0.0.1:${receiver.httpPort}/v1/traces` });
      expect((await exportWith(untrusted, spans)).code).toBe(ExportResultCode.FAILED);
      await untrusted.shutdown();
    } finally {
      await receiver.shutdown(AbortSignal.timeout(2000));
    }
  });

  it('client_ca_file requires a client certificate signed by that CA (mutual TLS)', async () => {
    const { receiver, consumer } = await start({ cert_file: `${pki.dir}/server.pem`, key_file: `${pki.dir}/server.key`, client_ca_file: `${pki.dir}/ca.pem` });
    const post = (extra: https.RequestOptions) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: receiver.httpPort, path: '/v1/traces', method: 'POST', ca: pki.ca, headers: { 'content-type': 'application/json' }, agent: false, ...extra },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    try {
      await expect(post({})).rejects.toThrow();
      expect(await post({ cert: pki.clientCert, key: pki.clientKey })).toBe(200);
      const spans = sdkSpans();
      const withCert = new GrpcExporter({ url: `https://127.0.0.1:${receiver.grpcPort}`, credentials: grpc.credentials.createSsl(pki.ca, pki.clientKey, pki.clientCert) });
      expect((await exportWith(withCert, spans)).code).toBe(ExportResultCode.SUCCESS);
      await withCert.shutdown();
      const without = new GrpcExporter({ url: `https://127.0.0.1:${receiver.grpcPort}`, credentials: grpc.credentials.createSsl(pki.ca) });
      expect((await exportWith(without, spans)).code).toBe(ExportResultCode.FAILED);
      await without.shutdown();
      expect(consumer.received.map(spanCount)).toEqual([1]);
    } finally {
      await receiver.shutdown(AbortSignal.timeout(2000));
    }
  });

  it('zipkin over TLS too', async () => {
    const issues = new ConfigIssues();
    const cfg = zipkinReceiverFactory.parseConfig({ endpoint: '127.0.0.1:0', tls: { cert_file: `${pki.dir}/server.pem`, key_file: `${pki.dir}/server.key` } }, 'receivers.zipkin', issues);
    expect(issues.errors).toEqual([]);
    const consumer = new CapturingConsumer();
    const r = zipkinReceiverFactory.create(cfg, testSettings('zipkin/tls'), consumer);
    await r.start(new TestHost());
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: r.port, path: '/api/v2/spans', method: 'POST', ca: pki.ca, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(JSON.stringify([{ traceId: 'a', id: 'b', timestamp: 1 }]));
      });
      expect(status).toBe(202);
      expect(consumer.received.length).toBe(1);
    } finally {
      await r.shutdown(AbortSignal.timeout(2000));
    }
  });

  it.each([
    [{ cert_file: '/nonexistent.pem', key_file: '/nonexistent.key' }, ['receivers.otlp.protocols.http.tls.cert_file: cannot read /nonexistent.pem: ENOENT', 'receivers.otlp.protocols.http.tls.key_file: cannot read /nonexistent.key: ENOENT']],
    [{ key_pem: 'x' }, ['receivers.otlp.protocols.http.tls: cert_file (or cert_pem) is required for a TLS server']],
    [{ cert_pem: 'a', cert_file: 'b', key_pem: 'k' }, ['receivers.otlp.protocols.http.tls: set cert_file or cert_pem, not both']],
    [{ cert_pem: 'a', key_pem: 'k', min_version: '1.3', max_version: '1.2' }, ['receivers.otlp.protocols.http.tls.max_version: must not be lower than min_version (1.3)']],
    [{ cert_pem: 'a', key_pem: 'k', min_version: 'TLS1.2' }, [expect.stringMatching(/^receivers\.otlp\.protocols\.http\.tls\.min_version: expected one of 1\.0, 1\.1, 1\.2, 1\.3/)]],
  ])('config errors by path %#', (tls, errors) => {
    const issues = new ConfigIssues();
    otlpReceiverFactory.parseConfig({ protocols: { http: { tls } } }, 'receivers.otlp', issues);
    expect(issues.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(errors);
  });
});
