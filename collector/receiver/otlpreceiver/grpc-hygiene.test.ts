/**
 * Connection hygiene on the OTLP/gRPC port, with raw sockets speaking (or not speaking) HTTP/2
 * to the real receiver on 127.0.0.1: idle, half-open and post-GOAWAY connections are closed
 * within the configured times; ping floods are refused as grpc-go refuses them; connections are
 * capped; messages being received are held in the memory budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { otlpReceiverFactory } from './factory.js';
import { ConfigIssues } from '../../config/issues.js';
import { CapturingConsumer, TestHost, counterValue, testAdmission, testSettings } from '../internal/testkit.js';
import { errorCodeOf, frameBytes, FrameScanner, FrameType, PREFACE, type Frame } from './h2-frames.js';
import { EXPORT_PATH } from './grpc-server.js';
import { encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { decodeRpcStatus } from '../internal/rpc-status.js';
import type { TraceData } from '../../pdata/model.js';
import type { OtlpReceiver } from './receiver.js';
import type { OtlpReceiverConfig } from './config.js';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfigText } from '../../config/load.js';

/** Time a loaded 2-core machine may add to a deadline before we call it missed. */
const SLACK_MS = 2000;

const running: OtlpReceiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown(AbortSignal.timeout(2000))));
});

async function start(grpcCfg: Record<string, unknown>, host = new TestHost(), consumer = new CapturingConsumer()) {
  const issues = new ConfigIssues();
  const cfg = otlpReceiverFactory.parseConfig({ protocols: { grpc: { endpoint: '127.0.0.1:0', ...grpcCfg } } }, 'receivers.otlp', issues);
  expect(issues.errors).toEqual([]);
  const settings = testSettings('otlp');
  const r = otlpReceiverFactory.create(cfg, settings, consumer);
  await r.start(host);
  running.push(r);
  return { port: r.grpcPort!, settings, host, consumer };
}

const frame = frameBytes;
const SETTINGS = frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0));
const PING = frame(FrameType.PING, 0, 0, Buffer.alloc(8));

interface RawConnection {
  socket: net.Socket;
  frames: Frame[];
  /** Milliseconds from connect to close. */
  closed: Promise<number>;
}

/** A raw TCP connection that sends `first` and records the server's frames until it closes. */
function connect(port: number, first?: Buffer): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const scanner = new FrameScanner(false, (f) => frames.push({ ...f, head: Buffer.from(f.head) }));
    const t0 = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - t0)));
    socket.on('data', (d) => scanner.push(d));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      if (first) socket.write(first);
      resolve({ socket, frames, closed });
    });
    socket.once('error', reject);
  });
}

async function closedWithin(c: RawConnection, ms: number): Promise<number> {
  const t = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), ms))]);
  c.socket.destroy();
  return t;
}

describe('gRPC port: connections that do not become HTTP/2 are closed', () => {
  it.each([
    ['raw TCP that sends nothing', undefined],
    ['a partial HTTP/2 preface', PREFACE.subarray(0, 16)],
    ['the preface without SETTINGS', PREFACE],
  ])('%s: closed after handshake_timeout, counted', async (_n, first) => {
    const { port, settings } = await start({ handshake_timeout: '300ms' });
    const c = await connect(port, first);
    const t = await closedWithin(c, 300 + SLACK_MS);
    expect(t).toBeGreaterThanOrEqual(250);
    expect(t).toBeLessThan(300 + SLACK_MS);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'handshake_timeout' })).toBe(1);
  });

  it('HTTP/1.1 on the gRPC port is closed at once', async () => {
    const { port, settings } = await start({ handshake_timeout: '30s' });
    const c = await connect(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await closedWithin(c, SLACK_MS)).toBeGreaterThanOrEqual(0);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'bad_preface' })).toBe(1);
  });

  it('a TLS port closes a client that never finishes the TLS handshake', async () => {
    const { execFileSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const { port } = await start({ handshake_timeout: '300ms', tls: { cert_file: `${dir}/c.pem`, key_file: `${dir}/k.pem` } });
    const c = await connect(port, Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, then silence
    expect(await closedWithin(c, 300 + SLACK_MS)).toBeGreaterThanOrEqual(250);
  });
});

describe('gRPC port: idle and post-GOAWAY connections are closed', () => {
  it('a session without streams is closed after max_connection_idle', async () => {
    const { port } = await start({ handshake_timeout: '30s', keepalive: { server_parameters: { max_connection_idle: '500ms' } } });
    const c = await connect(port, Buffer.concat([PREFACE, SETTINGS]));
    const t = await closedWithin(c, 500 + SLACK_MS);
    expect(t).toBeGreaterThanOrEqual(400);
    expect(c.frames.some((f) => f.type === FrameType.GOAWAY && errorCodeOf(f) === 0)).toBe(true);
  });

  it.each([
    ['bad HPACK', frame(FrameType.HEADERS, 0x5, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))],
    ['a frame above the maximum frame size', frame(FrameType.DATA, 0, 1, Buffer.alloc(20_000))],
  ])('%s: GOAWAY with an error, then the socket is closed right away (not at the idle timeout)', async (_n, bad) => {
    const { port, settings } = await start({ handshake_timeout: '30s', keepalive: { server_parameters: { max_connection_idle: '60s' } } });
    const c = await connect(port, Buffer.concat([PREFACE, SETTINGS]));
    await new Promise((r) => setTimeout(r, 100));
    c.socket.write(bad);
    const t = await closedWithin(c, SLACK_MS + 1000);
    expect(t).toBeGreaterThan(0);
    const goaway = c.frames.find((f) => f.type === FrameType.GOAWAY);
    expect(goaway).toBeDefined();
    expect(errorCodeOf(goaway!)).not.toBe(0);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'protocol_error' })).toBe(1);
  });
});

describe('gRPC port: keepalive enforcement_policy (grpc-go rules)', () => {
  it('PINGs without a stream (permit_without_stream: false): the third early one gets GOAWAY too_many_pings', async () => {
    const { port, settings } = await start({ handshake_timeout: '30s' });
    const c = await connect(port, Buffer.concat([PREFACE, SETTINGS]));
    for (let i = 0; i < 4; i++) c.socket.write(PING);
    expect(await closedWithin(c, SLACK_MS)).toBeGreaterThan(0);
    const goaway = c.frames.find((f) => f.type === FrameType.GOAWAY);
    expect(goaway && errorCodeOf(goaway)).toBe(0xb); // ENHANCE_YOUR_CALM
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'too_many_pings' })).toBe(1);
  });

  it('PINGs spaced by more than min_time are fine (permit_without_stream: true)', async () => {
    const { port } = await start({ handshake_timeout: '30s', keepalive: { enforcement_policy: { min_time: '100ms', permit_without_stream: true } } });
    const c = await connect(port, Buffer.concat([PREFACE, SETTINGS]));
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 150));
      c.socket.write(PING);
    }
    expect(await closedWithin(c, 300)).toBe(-1);
    expect(c.frames.filter((f) => f.type === FrameType.PING && f.flags & 1).length).toBe(5);
  });

  it('the official client with keepalive pings during calls is not refused', async () => {
    const { port, consumer } = await start({ keepalive: { enforcement_policy: { min_time: '50ms', permit_without_stream: true } } });
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.keepalive_time_ms': 100, 'grpc.keepalive_permit_without_calls': 1 });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 120));
      await exportOnce(client, traces(1));
    }
    client.close();
    expect(consumer.received.length).toBe(5);
  });
});

const tid = Buffer.alloc(16, 1);
const sid = Buffer.alloc(8, 2);
function traces(n: number, attrBytes = 0): TraceData {
  const attributes = attrBytes ? [{ key: 'blob', value: { stringValue: 'x'.repeat(attrBytes) } }] : [];
  return { resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, () => ({ traceId: tid, spanId: sid, name: 'x', kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes })) }] }] };
}

function exportOnce(client: grpc.Client, td: TraceData): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(encodeTraceRequest(td)), (err) => resolve(err)),
  );
}

function retryInfoOf(err: grpc.ServiceError): number | undefined {
  const details = err.metadata?.get('grpc-status-details-bin')[0];
  return details ? decodeRpcStatus(details as Buffer).retryDelaySeconds : undefined;
}

describe('gRPC port: caps and the memory budget', () => {
  it('max_connections: one more connection is closed at once', async () => {
    const { port, settings } = await start({ max_connections: 1, handshake_timeout: '30s' });
    const first = await connect(port, Buffer.concat([PREFACE, SETTINGS]));
    const second = await connect(port);
    expect(await closedWithin(second, SLACK_MS)).toBeGreaterThanOrEqual(0);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'too_many_connections' })).toBe(1);
    first.socket.destroy();
  });

  it('more spans than max_spans_per_request: RESOURCE_EXHAUSTED without RetryInfo (not retried), never decoded', async () => {
    const host = new TestHost();
    host.admission = testAdmission({ maxSpansPerRequest: 10 });
    const { port, consumer, settings } = await start({}, host);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const err = await exportOnce(client, traces(11));
    client.close();
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/11 spans, more than the limit of 10/);
    expect(retryInfoOf(err!)).toBeUndefined();
    expect(consumer.received).toEqual([]);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'too_many_spans' })).toBe(11);
  });

  it('no room in the budget: RESOURCE_EXHAUSTED with RetryInfo (retried)', async () => {
    const host = new TestHost();
    const admission = testAdmission({ requestLimitBytes: 4 * 1024 * 1024, waitingLimitBytes: 0 });
    host.admission = admission;
    const { port } = await start({}, host);
    const taken = await admission.acquire(4 * 1024 * 1024);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const err = await exportOnce(client, traces(1));
    taken.release();
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(retryInfoOf(err!)).toBe(1);
    expect(await exportOnce(client, traces(1))).toBeNull();
    client.close();
  });

  it('a message above max_recv_msg_size_mib: grpc-js refuses it from its length prefix, and the refusal is counted', async () => {
    const { port, settings, consumer } = await start({ max_recv_msg_size_mib: 1 });
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const err = await exportOnce(client, traces(1, 2 * 1024 * 1024));
    client.close();
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(consumer.received).toEqual([]);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { transport: 'grpc', reason: 'too_large' })).toBe(1);
  });

  it('a message being received is held in the budget until its call ends', async () => {
    const host = new TestHost();
    const admission = testAdmission();
    host.admission = admission;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const consumer = new CapturingConsumer();
    const original = consumer.consumeTraces.bind(consumer);
    consumer.consumeTraces = async (td) => {
      await gate;
      return original(td);
    };
    const { port } = await start({}, host, consumer);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const td = traces(1, 1024 * 1024);
    const done = exportOnce(client, td);
    await new Promise((r) => setTimeout(r, 300));
    // The wire bytes (held by the connection guard) plus the decode estimate (held by the handler).
    expect(admission.inFlightBytes).toBeGreaterThan(2 * 1024 * 1024);
    release();
    expect(await done).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(admission.inFlightBytes).toBe(0);
    client.close();
  });
});

describe('the shipped configs', () => {
  const root = path.resolve(__dirname, '../../..');
  const configs: [string, string][] = [
    ['manifests/collector/configmap.yaml', YAML.parse(fs.readFileSync(path.join(root, 'manifests/collector/configmap.yaml'), 'utf8')).data['collector.yaml']],
    ['collector/config/default.yaml', fs.readFileSync(path.join(root, 'collector/config/default.yaml'), 'utf8')],
    ['test/envoy/collector.yaml', fs.readFileSync(path.join(root, 'test/envoy/collector.yaml'), 'utf8')],
  ];

  it.each(configs)('%s closes idle and old connections, finds dead peers and refuses ping floods', (_file, text) => {
    const loaded = parseConfigText(text, { AWS_REGION: 'us-east-1', OTLP_AUTH_TOKEN: 't' });
    const grpcCfg = (loaded.receivers.get('otlp')!.config as OtlpReceiverConfig).grpc!;
    expect(grpcCfg.keepalive).toEqual({ maxConnectionIdleMs: 300_000, maxConnectionAgeMs: 600_000, maxConnectionAgeGraceMs: 30_000, timeMs: 60_000, timeoutMs: 20_000 });
    expect(grpcCfg.enforcement).toEqual({ minTimeMs: 10_000, permitWithoutStream: true });
    expect(grpcCfg.handshakeTimeoutMs).toBe(10_000);
    expect(grpcCfg.maxConcurrentStreams).toBe(100);
  });
});
