import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { ConfigIssues } from '../../config/issues.js';
import { parseGrpcEndpoint, parseOtlpExporterConfig } from './config.js';
import { grpcCodeReason, grpcFailure, isRetryableGrpcCode } from './grpc-status.js';
import { PermanentError, RetryableError } from '../exporterhelper/errors.js';
import { otlpExporterFactory } from './factory.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseOtlpExporterConfig(raw, 'exporters.otlp', issues);
  return { cfg, issues };
}

describe('otlp exporter config', () => {
  it('has the Collector type name and alias', () => {
    expect(otlpExporterFactory.type).toBe('otlp');
    expect(otlpExporterFactory.aliases).toContain('otlp_grpc');
    expect(otlpExporterFactory.kind).toBe('exporter');
  });

  it('defaults: gzip, TLS on, 5s timeout, otelcol queue and retry', () => {
    const { cfg, issues } = parse({ endpoint: 'backend:4317' });
    expect(issues.errors).toEqual([]);
    expect(cfg).toMatchObject({ address: 'backend:4317', useTls: true, compression: 'gzip', timeoutMs: 5000, headers: {} });
    expect(cfg.queue).toMatchObject({ enabled: true, numConsumers: 10, maxBatches: 1000 });
    expect(cfg.retry).toMatchObject({ initialIntervalMs: 5000, maxIntervalMs: 30000, maxElapsedTimeMs: 300000 });
  });

  it.each([
    ['backend:4317', undefined, 'backend:4317', true],
    ['backend:4317', { insecure: true }, 'backend:4317', false],
    ['http://backend:4317', undefined, 'backend:4317', false],
    ['https://backend:4317', { insecure: true }, 'backend:4317', true],
    ['https://backend', undefined, 'backend:443', true],
    ['https://backend:4317/', undefined, 'backend:4317', true],
    ['127.0.0.1:4317', { insecure: true }, '127.0.0.1:4317', false],
    ['[::1]:4317', { insecure: true }, '[::1]:4317', false],
  ])('endpoint %s with tls %j → %s, TLS %s', (endpoint, tls, address, useTls) => {
    const { cfg, issues } = parse({ endpoint, tls });
    expect(issues.errors).toEqual([]);
    expect(cfg.address).toBe(address);
    expect(cfg.useTls).toBe(useTls);
  });

  it.each([
    [{}, 'exporters.otlp.endpoint'],
    [{ endpoint: 'backend' }, 'exporters.otlp.endpoint'],
    [{ endpoint: 'backend:99999' }, 'exporters.otlp.endpoint'],
    [{ endpoint: 'ftp://backend:21' }, 'exporters.otlp.endpoint'],
    [{ endpoint: 'https://backend:4317/v1/traces' }, 'exporters.otlp.endpoint'],
    [{ endpoint: 4317 }, 'exporters.otlp.endpoint'],
    [{ endpoint: 'b:1', compression: 'zstd' }, 'exporters.otlp.compression'],
    [{ endpoint: 'b:1', compression: 'brotli' }, 'exporters.otlp.compression'],
    [{ endpoint: 'b:1', headers: { 'bad header': 'x' } }, 'exporters.otlp.headers.bad header'],
    [{ endpoint: 'b:1', headers: { auth: { nested: 'x' } } }, 'exporters.otlp.headers.auth'],
    [{ endpoint: 'b:1', headers: { auth: 'a\r\nb' } }, 'exporters.otlp.headers.auth'],
    [{ endpoint: 'b:1', timeout: '5 seconds' }, 'exporters.otlp.timeout'],
    [{ endpoint: 'b:1', tls: { ca_file: '/nonexistent/ca.pem' } }, 'exporters.otlp.tls.ca_file'],
    [{ endpoint: 'b:1', tls: { cert_file: '/nonexistent/c.pem', key_file: '/nonexistent/k.pem' } }, 'exporters.otlp.tls.cert_file'],
    [{ endpoint: 'b:1', tls: { insecure: 'yes' } }, 'exporters.otlp.tls.insecure'],
    [{ endpoint: 'b:1', sending_queue: { num_consumers: 0 } }, 'exporters.otlp.sending_queue.num_consumers'],
    [{ endpoint: 'b:1', retry_on_failure: { max_interval: 'soon' } }, 'exporters.otlp.retry_on_failure.max_interval'],
    [{ endpoint: 'b:1', auth: { authenticator: '' } }, 'exporters.otlp.auth.authenticator'],
    [{ endpoint: 'b:1', auth: { authenticatr: 'x' } }, 'exporters.otlp.auth'],
    [{ endpoint: 'b:1', endpont: 'x' }, 'exporters.otlp'],
  ])('%j is refused at %s', (raw, path) => {
    const { issues } = parse(raw);
    expect(issues.errors.map((e) => e.path)).toContain(path);
  });

  it('a refused endpoint is shown without its credentials', () => {
    const { issues } = parse({ endpoint: 'ftp://user:s3cret@backend:21' });
    const messages = issues.errors.map((e) => e.message).join('\n');
    expect(messages).toContain('"ftp://***@backend:21"');
    expect(messages).not.toContain('s3cret');
  });

  it('accepts compression none and empty, and header values as strings', () => {
    expect(parse({ endpoint: 'b:1', compression: 'none' }).cfg.compression).toBe('none');
    expect(parse({ endpoint: 'b:1', compression: '' }).cfg.compression).toBe('none');
    expect(parse({ endpoint: 'b:1', headers: { Authentication: 'tok' } }).cfg.headers).toEqual({ Authentication: 'tok' });
  });

  it('warns about otelcol keys it ignores instead of failing', () => {
    const { issues } = parse({ endpoint: 'b:1', balancer_name: 'round_robin', keepalive: { time: '10s' } });
    expect(issues.errors).toEqual([]);
    expect(issues.warnings.map((w) => w.path).sort()).toEqual(['exporters.otlp.balancer_name', 'exporters.otlp.keepalive']);
  });

  it('parseGrpcEndpoint refuses a port 0 and an empty host', () => {
    expect(parseGrpcEndpoint('backend:0')).toBeUndefined();
    expect(parseGrpcEndpoint(':4317')).toBeUndefined();
  });
});

describe('gRPC status → retryable (OTLP specification)', () => {
  const table: Array<[keyof typeof status, boolean, boolean]> = [
    // code, retryable without RetryInfo, retryable with RetryInfo
    ['OK', false, false],
    ['CANCELLED', true, true],
    ['UNKNOWN', false, false],
    ['INVALID_ARGUMENT', false, false],
    ['DEADLINE_EXCEEDED', true, true],
    ['NOT_FOUND', false, false],
    ['ALREADY_EXISTS', false, false],
    ['PERMISSION_DENIED', false, false],
    ['RESOURCE_EXHAUSTED', false, true],
    ['FAILED_PRECONDITION', false, false],
    ['ABORTED', true, true],
    ['OUT_OF_RANGE', true, true],
    ['UNIMPLEMENTED', false, false],
    ['INTERNAL', false, false],
    ['UNAVAILABLE', true, true],
    ['DATA_LOSS', true, true],
    ['UNAUTHENTICATED', false, false],
  ];

  it('covers all 17 codes', () => expect(table.length).toBe(17));

  it.each(table)('%s: retryable %s, with RetryInfo %s', (name, plain, withInfo) => {
    const code = status[name];
    expect(isRetryableGrpcCode(code, false)).toBe(plain);
    expect(isRetryableGrpcCode(code, true)).toBe(withInfo);
    const e = grpcFailure(code, 'x', undefined);
    expect(e).toBeInstanceOf(plain ? RetryableError : PermanentError);
    if (e instanceof PermanentError) expect(e.reason).toBe(`grpc_${name.toLowerCase()}`);
    const withDelay = grpcFailure(code, 'x', 2000);
    expect(withDelay).toBeInstanceOf(withInfo ? RetryableError : PermanentError);
    if (withDelay instanceof RetryableError) expect(withDelay.retryAfterMs).toBe(2000);
  });

  it('names an unknown code by number', () => expect(grpcCodeReason(99)).toBe('grpc_99'));
});
