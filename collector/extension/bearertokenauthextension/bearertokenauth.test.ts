/**
 * bearertokenauth on both exporters against real local backends: the token in the header of every
 * OTLP/HTTP request and in the metadata of every gRPC call (over TLS), the token file replaced
 * while the collector runs (rename-over and the kubelet's symlink swap), and its errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Extension, Factory, TracesExporter } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import { otlpHttpExporterFactory } from '../../exporter/otlphttpexporter/factory.js';
import { FakeHttpBackend } from '../../exporter/otlphttpexporter/testkit.js';
import { otlpExporterFactory } from '../../exporter/otlpexporter/factory.js';
import { FakeGrpcBackend, makeCerts, type TestCerts } from '../../exporter/otlpexporter/testkit.js';
import { startWithAuth, waitFor, type Started } from '../../exporter/otlphttpexporter/testdata/exporter-with-auth.js';
import { makeTraces } from '../../exporter/exporterhelper/testutil.js';
import { parseBearerTokenAuthConfig } from './config.js';
import { bearerTokenAuthExtensionFactory } from './factory.js';
import { TOKEN_FILE_POLL_MS, tokenFromFile } from './extension.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-bearer-'));
let running: Started | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function start(extensionConfig: unknown, exporter: 'otlphttp' | 'otlp', exporterConfig: Record<string, unknown>): Promise<Started> {
  return startWithAuth({
    extensionFactory: bearerTokenAuthExtensionFactory as unknown as Factory<unknown, Extension>,
    extensionConfig,
    exporterFactory: (exporter === 'otlp' ? otlpExporterFactory : otlpHttpExporterFactory) as unknown as Factory<unknown, TracesExporter>,
    exporterConfig,
  });
}

/** Replaces a file the way editors and `kubectl cp` do: write aside, rename over (a new inode). */
function replaceFile(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

describe('bearertokenauth config', () => {
  const parse = (raw: unknown) => {
    const issues = new ConfigIssues();
    const cfg = parseBearerTokenAuthConfig(raw, 'extensions.bearertokenauth', issues);
    return { cfg, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((e) => `${e.path}: ${e.message}`) };
  };

  it.each([
    [{ token: 'abc' }, { token: 'abc', filename: undefined, scheme: 'Bearer', header: 'Authorization' }],
    [{ tokens: ['first', 'second'] }, { token: 'first', filename: undefined, scheme: 'Bearer', header: 'Authorization' }],
    [{ filename: '/var/run/secrets/token', scheme: 'Token', header: 'X-Api-Key' }, { token: undefined, filename: '/var/run/secrets/token', scheme: 'Token', header: 'X-Api-Key' }],
    [{ token: 12345, scheme: '' }, { token: '12345', filename: undefined, scheme: '', header: 'Authorization' }],
  ])('%j → %j', (raw, want) => {
    const { cfg, errors } = parse(raw);
    expect(errors).toEqual([]);
    expect(cfg).toEqual(want);
  });

  it.each([
    [{}, 'extensions.bearertokenauth: no bearer token provided: set token (e.g. token: ${env:API_KEY}) or filename'],
    [{ token: '' }, 'extensions.bearertokenauth: no bearer token provided: set token (e.g. token: ${env:API_KEY}) or filename'],
    [{ token: 'a', tokens: ['b'] }, 'extensions.bearertokenauth: either tokens or token should be provided, not both'],
    [{ token: 'a\r\nX-Evil: 1' }, 'extensions.bearertokenauth.token: must not contain line breaks or NUL'],
    [{ tokens: ['ok', 'a\nb'] }, 'extensions.bearertokenauth.tokens[1]: must not contain line breaks or NUL'],
    [{ token: 'a', header: 'Bad Header' }, 'extensions.bearertokenauth.header: not a valid header name: "Bad Header"'],
    [{ token: 'a', scheme: 'Bearer Token' }, 'extensions.bearertokenauth.scheme: must be one word without spaces or line breaks, got "Bearer Token"'],
    [{ token: 'a', bearer: 'x' }, 'extensions.bearertokenauth: has invalid keys: bearer (valid keys: token, tokens, filename, scheme, header)'],
    [{ filename: '' }, 'extensions.bearertokenauth.filename: must not be empty'],
  ])('%j is refused: %s', (raw, message) => {
    expect(parse(raw).errors).toContain(message);
  });

  it('filename wins over token, with a warning (as in otelcol)', () => {
    const { cfg, warnings } = parse({ token: 'a', filename: '/t' });
    expect(cfg.token).toBeUndefined();
    expect(warnings).toEqual(['extensions.bearertokenauth.filename: set together with token(s): the file is used and token(s) ignored, as in otelcol']);
  });

  it.each([
    ['tok\n', 'tok'],
    ['  tok  \r\n', 'tok'],
    ['\n\nfirst\nsecond\n', 'first'],
    ['', undefined],
    ['\n \n', undefined],
  ])('the token in file text %j is %j', (text, want) => {
    expect(tokenFromFile(text)).toBe(want);
  });
});

describe('bearertokenauth on otlphttp', () => {
  const backend = new FakeHttpBackend();
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());
  afterEach(() => void (backend.requests.length = 0));

  async function sendAndGetHeader(r: Started, name: string): Promise<string | string[] | undefined> {
    const before = backend.requests.length;
    await r.exporter.consumeTraces(makeTraces(2));
    await waitFor(() => backend.requests.length > before, 'a request');
    return backend.requests.at(-1)!.headers[name];
  }

  it('sends "Bearer <token>"; replaces a configured Authorization header instead of sending two', async () => {
    running = await start({ token: 'static-token' }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}`, headers: { Authorization: 'from-headers', 'X-Tenant': 'mesh' } });
    expect(await sendAndGetHeader(running, 'authorization')).toBe('Bearer static-token');
    expect(backend.requests[0]!.headers['x-tenant']).toBe('mesh');
  });

  it('custom header and an empty scheme: the token alone', async () => {
    running = await start({ token: 'k-123', header: 'X-Api-Key', scheme: '' }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}` });
    expect(await sendAndGetHeader(running, 'x-api-key')).toBe('k-123');
    expect(backend.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('the token file replaced while running: the next requests carry the new token (rename-over, then a symlink swap)', async () => {
    const file = path.join(dir, 'token-http');
    replaceFile(file, 'token-one\n');
    running = await start({ filename: file }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}` });
    expect(await sendAndGetHeader(running, 'authorization')).toBe('Bearer token-one');

    replaceFile(file, 'token-two\n');
    await waitFor(async () => (await sendAndGetHeader(running!, 'authorization')) === 'Bearer token-two', 'the replaced token', 10 * TOKEN_FILE_POLL_MS);

    // The kubelet's projected volumes: the path is a symlink into a timestamped dir, swapped atomically.
    const projected = path.join(dir, 'projected');
    fs.mkdirSync(path.join(projected, '..2026_1'), { recursive: true });
    fs.mkdirSync(path.join(projected, '..2026_2'));
    fs.writeFileSync(path.join(projected, '..2026_1', 'token'), 'token-three');
    fs.writeFileSync(path.join(projected, '..2026_2', 'token'), 'token-four');
    fs.symlinkSync('..2026_1', path.join(projected, '..data'));
    fs.symlinkSync('..data/token', path.join(projected, 'token'));
    await running.stop();
    running = await start({ filename: path.join(projected, 'token') }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}` });
    expect(await sendAndGetHeader(running, 'authorization')).toBe('Bearer token-three');
    fs.symlinkSync('..2026_2', path.join(projected, '..data_tmp'));
    fs.renameSync(path.join(projected, '..data_tmp'), path.join(projected, '..data'));
    await waitFor(async () => (await sendAndGetHeader(running!, 'authorization')) === 'Bearer token-four', 'the swapped token', 10 * TOKEN_FILE_POLL_MS);
  });

  it('a token file that becomes unreadable keeps the last token', async () => {
    const file = path.join(dir, 'token-vanishing');
    replaceFile(file, 'kept-token');
    running = await start({ filename: file }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}` });
    fs.rmSync(file);
    await new Promise((r) => setTimeout(r, 2.5 * TOKEN_FILE_POLL_MS));
    expect(await sendAndGetHeader(running, 'authorization')).toBe('Bearer kept-token');
  });

  it.each([
    ['missing', undefined, /extensions\.bearertokenauth\.filename: cannot read .*token-missing: ENOENT/],
    ['empty', '\n', /extensions\.bearertokenauth\.filename: .*token-empty holds no token \(empty\)/],
  ])('a %s token file stops start-up with a clear message', async (what, text, message) => {
    const file = path.join(dir, `token-${what}`);
    if (text !== undefined) fs.writeFileSync(file, text);
    await expect(start({ filename: file }, 'otlphttp', { endpoint: `http://127.0.0.1:${backend.port}` })).rejects.toThrow(message);
  });
});

describe('bearertokenauth on otlp (gRPC metadata)', () => {
  let certs: TestCerts;
  let backend: FakeGrpcBackend;
  beforeAll(async () => {
    certs = makeCerts();
    backend = new FakeGrpcBackend(grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], false));
    await backend.start();
  });
  afterAll(async () => {
    await backend.stop();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('puts the token in every call\'s metadata over TLS, and follows the token file', async () => {
    const file = path.join(dir, 'token-grpc');
    replaceFile(file, 'grpc-one');
    running = await start({ filename: file }, 'otlp', { endpoint: `localhost:${backend.port}`, tls: { ca_file: certs.caFile }, headers: { 'x-tenant': 'mesh' } });
    const send = async () => {
      const before = backend.calls.length;
      await running!.exporter.consumeTraces(makeTraces(1));
      await waitFor(() => backend.calls.length > before, 'a call');
      return backend.calls.at(-1)!.metadata;
    };
    const md = await send();
    expect(md.get('authorization')).toEqual(['Bearer grpc-one']);
    expect(md.get('x-tenant')).toEqual(['mesh']);
    replaceFile(file, 'grpc-two');
    await waitFor(async () => (await send()).get('authorization')[0] === 'Bearer grpc-two', 'the replaced token', 10 * TOKEN_FILE_POLL_MS);
  });

  it('refuses to start on a plaintext channel (never a token in clear text, as otelcol)', async () => {
    await expect(start({ token: 't' }, 'otlp', { endpoint: `127.0.0.1:${backend.port}`, tls: { insecure: true } })).rejects.toThrow(
      'exporters.otlp.auth.authenticator: extension "bearertokenauth" sends credentials only over TLS, and this endpoint is plaintext (tls.insecure or http://)',
    );
  });
});
