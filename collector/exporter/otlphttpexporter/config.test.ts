import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { encodeRpcStatus } from '../../receiver/internal/rpc-status.js';
import { PermanentError, RetryableError } from '../exporterhelper/errors.js';
import { parseOtlpHttpExporterConfig } from './config.js';
import { otlpHttpExporterFactory } from './factory.js';
import { errorBodyMessage, httpFailure, isRetryableHttpStatus, parseRetryAfter } from './http-status.js';
import { partialSuccess } from './http-sender.js';
import { encodeTraceResponse } from '../../pdata/otlp-proto.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseOtlpHttpExporterConfig(raw, 'exporters.otlphttp', issues);
  return { cfg, issues };
}

describe('otlphttp exporter config', () => {
  it('has the Collector type name and alias', () => {
    expect(otlpHttpExporterFactory.type).toBe('otlphttp');
    expect(otlpHttpExporterFactory.aliases).toContain('otlp_http');
  });

  it.each([
    [{ endpoint: 'https://otlp.example.com' }, 'https://otlp.example.com/v1/traces'],
    [{ endpoint: 'https://otlp.example.com/' }, 'https://otlp.example.com/v1/traces'],
    [{ endpoint: 'http://10.0.0.1:4318/otlp' }, 'http://10.0.0.1:4318/otlp/v1/traces'],
    [{ endpoint: 'http://a:4318', traces_endpoint: 'https://b/custom/traces' }, 'https://b/custom/traces'],
    [{ traces_endpoint: 'http://b:4318/v1/traces' }, 'http://b:4318/v1/traces'],
  ])('%j → %s', (raw, url) => {
    const { cfg, issues } = parse(raw);
    expect(issues.errors).toEqual([]);
    expect(cfg.url).toBe(url);
  });

  it('defaults: gzip, 5s, otelcol queue and retry', () => {
    const { cfg } = parse({ endpoint: 'http://a:4318' });
    expect(cfg).toMatchObject({ compression: 'gzip', compressionLevel: 6, timeoutMs: 5000 });
    expect(parse({ endpoint: 'http://a', compression_params: { level: 1 } }).cfg.compressionLevel).toBe(1);
    expect(cfg.queue.maxBatches).toBe(1000);
    expect(cfg.retry.maxElapsedTimeMs).toBe(300_000);
  });

  it.each([
    [{}, 'exporters.otlphttp.endpoint'],
    [{ endpoint: 'otlp.example.com:4318' }, 'exporters.otlphttp.endpoint'],
    [{ endpoint: 'grpc://a:1' }, 'exporters.otlphttp.endpoint'],
    [{ traces_endpoint: '/v1/traces' }, 'exporters.otlphttp.traces_endpoint'],
    [{ endpoint: 'http://a', encoding: 'json' }, 'exporters.otlphttp.encoding'],
    [{ endpoint: 'http://a', compression: 'snappy' }, 'exporters.otlphttp.compression'],
    [{ endpoint: 'http://a', headers: ['x'] }, 'exporters.otlphttp.headers'],
    [{ endpoint: 'http://a', tls: { key_file: '/nonexistent.key' } }, 'exporters.otlphttp.tls.key_file'],
    [{ endpoint: 'http://a', timeout: -1 }, 'exporters.otlphttp.timeout'],
    [{ endpoint: 'http://a', compression_params: { level: 11 } }, 'exporters.otlphttp.compression_params.level'],
    [{ endpoint: 'http://a', compression_params: { lvl: 1 } }, 'exporters.otlphttp.compression_params'],
    [{ endpoint: 'http://a', retry_on_failure: { multiplier: 0 } }, 'exporters.otlphttp.retry_on_failure.multiplier'],
  ])('%j is refused at %s', (raw, path) => {
    expect(parse(raw).issues.errors.map((e) => e.path)).toContain(path);
  });
});

describe('HTTP status → retryable (OTLP specification)', () => {
  const retryable = new Set([429, 502, 503, 504]);
  const statuses = [300, 301, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 501, 502, 503, 504, 505, 507];
  it.each(statuses)('%i', (status) => {
    expect(isRetryableHttpStatus(status)).toBe(retryable.has(status));
    const e = httpFailure(status, 'm', '3');
    if (retryable.has(status)) {
      expect(e).toBeInstanceOf(RetryableError);
      expect((e as RetryableError).retryAfterMs).toBe(3000);
    } else {
      expect(e).toBeInstanceOf(PermanentError);
      expect((e as PermanentError).reason).toBe(`http_${status}`);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['0', 0],
    ['7', 7000],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past: no extra wait
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %s ms', (v, ms) => expect(parseRetryAfter(v, now)).toBe(ms));
});

describe('error bodies and partial_success', () => {
  it('reads the message of a google.rpc.Status in protobuf or JSON, else the text', () => {
    expect(errorBodyMessage(encodeRpcStatus({ code: 3, message: 'span 7 has no trace id' }), 'application/x-protobuf')).toBe('span 7 has no trace id');
    expect(errorBodyMessage(Buffer.from('{"code":3,"message":"bad json thing"}'), 'application/json')).toBe('bad json thing');
    expect(errorBodyMessage(Buffer.from('<html>Bad Gateway</html>'), 'text/html')).toBe('<html>Bad Gateway</html>');
    expect(errorBodyMessage(Buffer.from([0xff, 0xff, 0xff]), 'application/x-protobuf')).not.toContain('\u0000');
    expect(errorBodyMessage(Buffer.alloc(0), 'application/x-protobuf')).toBe('');
  });

  it('reads partial_success from protobuf and JSON answers', () => {
    expect(partialSuccess(Buffer.from(encodeTraceResponse({ rejectedSpans: 4, errorMessage: 'old' })), 'application/x-protobuf')).toEqual({ rejectedSpans: 4, message: 'old' });
    expect(partialSuccess(Buffer.from('{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}'), 'application/json')).toEqual({ rejectedSpans: 2, message: 'x' });
    expect(partialSuccess(Buffer.from(encodeTraceResponse()), 'application/x-protobuf')).toBeUndefined();
    expect(partialSuccess(Buffer.alloc(0), 'application/x-protobuf')).toBeUndefined();
    expect(partialSuccess(Buffer.from('not json'), 'application/json')).toMatchObject({ message: expect.stringContaining('unreadable') });
  });
});
