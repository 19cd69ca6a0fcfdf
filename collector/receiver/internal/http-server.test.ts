import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import { ConfigIssues } from '../../config/issues.js';
import { readHttpServerConfig, type HttpServerConfig } from './http-config.js';
import { decodeContentEncoding, HttpError, readBody, startHttpServer, type RunningHttpServer } from './http-server.js';
import { refusalFromError, retryableRefusal } from './refusal.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { decodeRpcStatus, encodeRpcStatus, rpcStatusJson } from './rpc-status.js';

function config(raw: Record<string, unknown>): { cfg: HttpServerConfig; issues: ConfigIssues } {
  const issues = new ConfigIssues();
  return { cfg: readHttpServerConfig(raw, 'receivers.x', issues, '127.0.0.1:0'), issues };
}

let running: RunningHttpServer | undefined;
afterEach(async () => {
  await running?.close(AbortSignal.timeout(1000));
  running = undefined;
});

function request(port: number, opts: http.RequestOptions & { body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function echoServer(raw: Record<string, unknown>) {
  const { cfg, issues } = config(raw);
  expect(issues.errors).toEqual([]);
  running = await startHttpServer(
    cfg,
    async (req) => {
      const body = await readBody(req, cfg.maxRequestBodySize);
      if (body.toString() === 'fail') throw new Error('boom');
      return { status: 200, body: `got ${body.length}` };
    },
    (_req, err) => ({ status: err.status, headers: err.headers, body: err.message }),
    { onUnexpected: () => {} },
  );
  return running.port;
}

describe('HTTP server config (confighttp keys)', () => {
  it('has otelcol defaults', () => {
    const { cfg, issues } = config({});
    expect(issues.errors).toEqual([]);
    expect(cfg).toMatchObject({ maxRequestBodySize: 20 * 1024 * 1024, readHeaderTimeoutMs: 60_000, idleTimeoutMs: 60_000, compressionAlgorithms: ['gzip', 'deflate', 'zlib'] });
    expect(cfg.cors).toBeUndefined();
  });

  it('reports every bad key by path; auth is refused, write_timeout warned', () => {
    const { issues } = config({
      max_request_body_size: -1,
      read_header_timeout: 'fast',
      compression_algorithms: ['gzip', 'zstd'],
      cors: { allowed_origins: ['https://a'], allowed_methods: ['GET'] },
      tls: { cert_file: 'c' },
      auth: { authenticator: 'x' },
      write_timeout: '10s',
      response_headers: { 'X-A': ['a list'] },
    });
    expect(issues.errors.map((e) => e.path)).toEqual([
      'receivers.x.max_request_body_size',
      'receivers.x.read_header_timeout',
      'receivers.x.tls.cert_file',
      'receivers.x.tls',
      'receivers.x.auth',
      'receivers.x.response_headers.X-A',
      'receivers.x.compression_algorithms[1]',
      'receivers.x.cors',
    ]);
    expect(issues.warnings.map((w) => w.path)).toEqual(['receivers.x.write_timeout']);
  });
});

describe('HTTP server plumbing', () => {
  it('answers CORS preflights for allowed origins only, adds response_headers', async () => {
    const port = await echoServer({ cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Custom'], max_age: 600 }, response_headers: { 'X-Served-By': 'meshtrace' } });
    const ok = await request(port, {
      method: 'OPTIONS',
      path: '/v1/traces',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-custom, x-other' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(ok.headers['access-control-allow-headers']).toBe('content-type, x-custom');
    expect(ok.headers['access-control-max-age']).toBe('600');
    expect(ok.headers['x-served-by']).toBe('meshtrace');
    const denied = await request(port, { method: 'OPTIONS', path: '/', headers: { Origin: 'https://evil.com', 'Access-Control-Request-Method': 'POST' } });
    expect(denied.status).toBe(403);
    const post = await request(port, { method: 'POST', path: '/', headers: { Origin: 'https://app.example.com' }, body: 'abc' });
    expect([post.status, post.body, post.headers['access-control-allow-origin']]).toEqual([200, 'got 3', 'https://app.example.com']);
  });

  it('an unexpected handler error is a 500 without internals, and the server goes on', async () => {
    const port = await echoServer({});
    const r = await request(port, { method: 'POST', path: '/', body: 'fail' });
    expect(r.status).toBe(500);
    expect(r.body).toBe('internal error while handling the request');
    expect((await request(port, { method: 'POST', path: '/', body: 'ok' })).status).toBe(200);
  });

  it('refuses a declared Content-Length above the limit before reading, and a bad one', async () => {
    const port = await echoServer({ max_request_body_size: 10 });
    const r = await request(port, { method: 'POST', path: '/', body: 'x'.repeat(11) });
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    const chunked = await request(port, { method: 'POST', path: '/', headers: { 'Transfer-Encoding': 'chunked' }, body: 'y'.repeat(50) });
    expect(chunked.status).toBe(413);
  });

  it('refuses a busy port with the OS error', async () => {
    const port = await echoServer({});
    const { cfg } = config({ endpoint: `127.0.0.1:${port}` });
    await expect(startHttpServer(cfg, async () => ({ status: 200 }), () => ({ status: 500 }), { onUnexpected: () => {} })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('decodeContentEncoding', () => {
  const text = Buffer.from('hello '.repeat(100));
  it.each([
    ['identity', text, text],
    ['', text, text],
    ['gzip', zlib.gzipSync(text), text],
    ['x-gzip', zlib.gzipSync(text), text],
    ['GZIP', zlib.gzipSync(text), text],
    ['deflate', zlib.deflateSync(text), text],
    ['deflate', zlib.deflateRawSync(text), text],
    ['zlib', zlib.deflateSync(text), text],
  ])('%s', async (enc, body, expected) => {
    expect((await decodeContentEncoding(body, enc, 1 << 20, ['gzip', 'deflate', 'zlib'])).equals(expected)).toBe(true);
  });

  it('refuses what is not allowed, what is corrupt, and what inflates past the limit', async () => {
    await expect(decodeContentEncoding(zlib.gzipSync(text), 'gzip', 1 << 20, ['deflate'])).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/unsupported Content-Encoding: gzip/) });
    await expect(decodeContentEncoding(zlib.gzipSync(text).subarray(0, 20), 'gzip', 1 << 20, ['gzip'])).rejects.toMatchObject({ status: 400 });
    await expect(decodeContentEncoding(zlib.gzipSync(text), 'gzip', 100, ['gzip'])).rejects.toMatchObject({ status: 413 });
    await expect(decodeContentEncoding(zlib.deflateSync(text), 'deflate', 100, ['deflate'])).rejects.toBeInstanceOf(HttpError);
  });
});

describe('refusal mapping and google.rpc.Status', () => {
  it.each([
    [ConsumerError.retryable('q', 'queue_full', 3), { retryable: true, grpcCode: 14, httpStatus: 503, retryAfterSeconds: 3 }],
    [ConsumerError.retryable('m', 'memory_limit', 0.2), { retryable: true, grpcCode: 8, httpStatus: 429, retryAfterSeconds: 1 }],
    [ConsumerError.permanent('bad'), { retryable: false, grpcCode: 3, httpStatus: 400 }],
    [new Error('bug'), { retryable: true, grpcCode: 14, httpStatus: 503, reason: 'internal' }],
  ])('%s', (err, expected) => {
    expect(refusalFromError(err)).toMatchObject(expected);
  });

  it('Status with RetryInfo round-trips in protobuf and has the proto3 JSON form', () => {
    const r = retryableRefusal('memory_limit', 'slow down', 2.5);
    const bytes = encodeRpcStatus({ code: r.grpcCode, message: r.message, retryDelaySeconds: r.retryAfterSeconds });
    expect(decodeRpcStatus(bytes)).toEqual({ code: 8, message: 'slow down', retryDelaySeconds: 3 });
    expect(decodeRpcStatus(encodeRpcStatus({ code: 3, message: 'x' }))).toEqual({ code: 3, message: 'x' });
    expect(JSON.parse(rpcStatusJson({ code: 14, message: 'y', retryDelaySeconds: 1 }))).toEqual({
      code: 14,
      message: 'y',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
    });
  });
});
