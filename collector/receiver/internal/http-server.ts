/**
 * HTTP plumbing shared by the HTTP receivers (OTLP/HTTP, Zipkin): a node:http server with
 * confighttp's limits, and a bounded body reader. The limits exist so that no client can make
 * the collector hold unbounded memory or a connection forever:
 * - the body as received is capped (`max_request_body_size`, Content-Length checked up front);
 * - the decompressed body is capped separately, by inflating through zlib with
 *   `maxOutputLength`, so a gzip bomb is refused after at most that many bytes are produced;
 * - headers and the whole request must arrive within `read_header_timeout` / `read_timeout`
 *   (slowloris), idle keep-alive connections close after `idle_timeout`;
 * - connections and requests in flight are capped (`max_connections`, `max_concurrent_requests`);
 * - with an admission grant (the memory budget, service/admission.ts), every byte read and every
 *   byte inflated is held in the grant first, so all receivers together stay within the budget;
 * - every error answer has a short body (Node's own parser errors included) that never echoes
 *   more than a few dozen characters of the request.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { parseHostPort } from '../../config/validate.js';
import type { AdmissionGrant } from '../../component/admission.js';
import { cutText, HttpError } from './http-error.js';
import { admissionRefusal, refusalHttpError } from './refusal.js';
import type { CorsConfig, HttpServerConfig } from './http-config.js';

export { cutText, HttpError, quoteBounded } from './http-error.js';

export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

/**
 * The request's declared Content-Length, undefined when absent (chunked). Throws HttpError 400
 * for a malformed one and 413 for one above `max`, so nothing is read or admitted for it.
 */
export function declaredLength(req: http.IncomingMessage, max: number): number | undefined {
  const declared = req.headers['content-length'];
  if (declared === undefined) return undefined;
  const n = Number(declared);
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `invalid Content-Length: ${cutText(declared, 24)}`, {}, true);
  if (n > max) throw new HttpError(413, `request body of ${n} bytes exceeds the limit of ${max} bytes (max_request_body_size)`, {}, true);
  return n;
}

/**
 * Reads the request body, refusing more than `max` bytes: by Content-Length before reading,
 * else while streaming. A declared body is copied into one buffer of its size as it arrives (no
 * second copy to join the chunks). With a grant, bytes beyond what it holds are added to it as
 * they arrive (a chunked body has no declared size to admit up front), and so is the joined copy
 * of a chunked body. Rejects with HttpError 413 / 400, or 429 / 413 when the grant cannot grow.
 */
export function readBody(req: http.IncomingMessage, max: number, grant?: AdmissionGrant): Promise<Buffer> {
  let declared: number | undefined;
  try {
    declared = declaredLength(req, max);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    let covered = grant ? grant.bytes : Infinity;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) {
        req.pause();
        reject(err);
      } else if (whole) resolve(total === whole.length ? whole : whole.subarray(0, total));
      else if (chunks.length <= 1) resolve(chunks[0] ?? Buffer.alloc(0));
      else {
        const refused = grant?.grow(total);
        if (refused) reject(refusalHttpError(admissionRefusal(refused), false));
        else resolve(Buffer.concat(chunks, total));
      }
    };
    const onData = (chunk: Buffer) => {
      if (whole) {
        // Node frames the body by Content-Length: it never delivers more than declared.
        chunk.copy(whole, total);
        total += chunk.length;
        return;
      }
      total += chunk.length;
      if (total > max) {
        finish(new HttpError(413, `request body exceeds the limit of ${max} bytes (max_request_body_size)`, {}, true));
        return;
      }
      if (total > covered) {
        const refused = grant!.grow(total - covered);
        if (refused) {
          finish(refusalHttpError(admissionRefusal(refused), true));
          return;
        }
        covered = total;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(new HttpError(400, `error reading the request body: ${e.message}`, {}, true));
    const onAborted = () => finish(new HttpError(400, 'the client aborted the request', {}, true));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Content-Encoding values this module can decode, mapped to the algorithm name in configs. */
const ENCODING_ALGORITHM: Record<string, string> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', zlib: 'zlib' };

/** Whether the bytes start with a zlib (RFC 1950) header rather than raw deflate. */
function hasZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

/**
 * Undoes Content-Encoding, streaming through zlib. The inflated size is capped at `max` bytes:
 * inflation stops (and we answer 413) as soon as the cap is passed, so a bomb never inflates in
 * memory. With a grant, every inflated chunk is added to it before it is kept, so concurrent
 * bombs cannot add up past the memory budget either (429 when the grant cannot grow).
 */
export function decodeContentEncoding(
  body: Buffer,
  contentEncoding: string | undefined,
  max: number,
  allowed: readonly string[],
  grant?: AdmissionGrant,
): Promise<Buffer> {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return Promise.resolve(body);
  const algorithm = ENCODING_ALGORITHM[enc];
  if (algorithm === undefined || !allowed.includes(algorithm)) {
    const e = new HttpError(400, `unsupported Content-Encoding: ${cutText(contentEncoding ?? '', 32)} (supported: ${['identity', ...allowed].join(', ')})`);
    e.reason = 'unsupported_encoding';
    return Promise.reject(e);
  }
  // "deflate" is the zlib format (RFC 9110), but some clients send raw deflate: accept both.
  const z = algorithm === 'gzip' ? zlib.createGunzip() : hasZlibHeader(body) ? zlib.createInflate() : zlib.createInflateRaw();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (e: HttpError) => {
      if (done) return;
      done = true;
      z.destroy();
      reject(e);
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > max) {
        const e = new HttpError(413, `decompressed request body exceeds the limit of ${max} bytes (max_request_body_size)`);
        e.reason = 'decompressed_too_large';
        fail(e);
        return;
      }
      const refused = grant?.grow(chunk.length);
      if (refused) {
        fail(refusalHttpError(admissionRefusal(refused)));
        return;
      }
      chunks.push(chunk);
    });
    z.on('error', (err: Error) => {
      const e = new HttpError(400, `invalid ${enc} request body: ${err.message}`);
      e.reason = 'invalid_encoding';
      fail(e);
    });
    z.on('end', () => {
      if (done) return;
      if (chunks.length > 1) {
        // Joining the chunks copies them once more before they become garbage.
        const refused = grant?.grow(total);
        if (refused) {
          fail(refusalHttpError(admissionRefusal(refused)));
          return;
        }
      }
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
    });
    z.end(body);
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const i = contentType.indexOf(';');
  return (i < 0 ? contentType : contentType.slice(0, i)).trim().toLowerCase();
}

function originAllowed(origin: string, cors: CorsConfig): boolean {
  for (const pattern of cors.allowedOrigins) {
    if (pattern === '*') return true;
    if (!pattern.includes('*')) {
      if (pattern === origin) return true;
      continue;
    }
    // One wildcard, as rs/cors allows: `https://*.example.com`.
    const [pre, post] = [pattern.slice(0, pattern.indexOf('*')), pattern.slice(pattern.indexOf('*') + 1)];
    if (origin.length >= pre.length + post.length && origin.startsWith(pre) && origin.endsWith(post)) return true;
  }
  return false;
}

/** CORS headers for an actual (non-preflight) request from an allowed origin. */
function corsHeaders(req: http.IncomingMessage, cors: CorsConfig | undefined): Record<string, string> {
  const origin = req.headers.origin;
  if (!cors || !origin || !originAllowed(origin, cors)) return {};
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

/** Answers a CORS preflight (OPTIONS with Access-Control-Request-Method). */
function preflight(req: http.IncomingMessage, cors: CorsConfig): HttpAnswer {
  const origin = req.headers.origin ?? '';
  if (!originAllowed(origin, cors)) return { status: 403, headers: { Vary: 'Origin' }, body: 'origin not allowed\n' };
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST',
    Vary: 'Origin',
  };
  const requested = req.headers['access-control-request-headers'];
  if (requested) {
    // Content-Type, Content-Encoding and friends are always allowed; others when configured.
    const always = ['content-type', 'content-encoding', 'accept', 'accept-encoding', 'x-requested-with'];
    const allowed = new Set([...always, ...cors.allowedHeaders.map((h) => h.toLowerCase())]);
    const wanted = requested.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    const star = cors.allowedHeaders.includes('*');
    headers['Access-Control-Allow-Headers'] = wanted.filter((h) => star || allowed.has(h)).join(', ');
  }
  if (cors.maxAgeSeconds > 0) headers['Access-Control-Max-Age'] = String(cors.maxAgeSeconds);
  return { status: 204, headers };
}

export type HttpHandler = (req: http.IncomingMessage) => Promise<HttpAnswer>;

export interface RunningHttpServer {
  readonly server: http.Server;
  readonly port: number;
  readonly address: string;
  /** Stops accepting, lets requests in flight finish; force-closes when `deadline` fires. */
  close(deadline: AbortSignal): Promise<void>;
}

function listenHost(host: string): string | undefined {
  return host === '' ? undefined : host; // ":4318" means all interfaces, as in Go.
}

export interface HttpServerHooks {
  /** An exception that is not an HttpError (answered 500). */
  onUnexpected(err: unknown): void;
  /**
   * A request or connection the server refused by itself, before any handler saw it: too many
   * requests in flight, too many connections, Node's parser errors (400/431), timeouts (408).
   */
  onRefused?(status: number, reason: string, message: string): void;
}

/** Short answers to what Node's HTTP parser refuses, by error code. */
function clientErrorAnswer(code: string | undefined): { status: string; reason: string; body: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: '431 Request Header Fields Too Large', reason: 'headers_too_large', body: 'request headers too large (limit 64 KiB)\n' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: '408 Request Timeout', reason: 'timeout', body: 'request not received in time (read_header_timeout / read_timeout)\n' };
    default:
      return { status: '400 Bad Request', reason: 'malformed_http', body: 'malformed HTTP request\n' };
  }
}

/**
 * Starts a node:http server with the config's limits. `handler` answers every request (its
 * HttpError rejections go through `renderError`, everything else becomes a 500 that never
 * exposes internals). Resolves once listening.
 */
export async function startHttpServer(
  cfg: HttpServerConfig,
  handler: HttpHandler,
  renderError: (req: http.IncomingMessage, err: HttpError) => HttpAnswer,
  hooks: HttpServerHooks,
): Promise<RunningHttpServer> {
  const hp = parseHostPort(cfg.endpoint);
  if (!hp) throw new Error(`invalid endpoint ${cfg.endpoint}`);
  const requestTimeout = cfg.readTimeoutMs;
  // Node refuses headersTimeout > requestTimeout; the whole-request limit bounds the headers too.
  const headersTimeout = requestTimeout > 0 && cfg.readHeaderTimeoutMs > 0 ? Math.min(cfg.readHeaderTimeoutMs, requestTimeout) : cfg.readHeaderTimeoutMs || requestTimeout;
  const timeouts = [headersTimeout, requestTimeout].filter((t) => t > 0);
  const serverOptions: http.ServerOptions = {
    headersTimeout: headersTimeout > 0 ? headersTimeout : undefined,
    requestTimeout,
    keepAliveTimeout: cfg.idleTimeoutMs,
    // Node checks the two timeouts above on this interval (default 30 s); short limits need a
    // shorter check or they would be enforced late.
    connectionsCheckingInterval: timeouts.length ? Math.max(50, Math.min(30_000, Math.floor(Math.min(...timeouts) / 4))) : 30_000,
    maxHeaderSize: 64 * 1024,
  };
  const tls = cfg.tls;
  const server: http.Server = tls
    ? https.createServer({
        ...serverOptions,
        cert: tls.cert,
        key: tls.key,
        ca: tls.clientCa,
        requestCert: tls.clientCa !== undefined,
        rejectUnauthorized: tls.clientCa !== undefined,
        minVersion: tls.minVersion,
        maxVersion: tls.maxVersion,
      })
    : http.createServer(serverOptions);
  // A failed TLS handshake (plaintext client, untrusted client certificate) only ends that socket.
  server.on('tlsClientError', (_err: Error, socket: { destroy(): void }) => socket.destroy());
  // Connections past max_connections are closed by Node as they arrive ('drop').
  if (cfg.maxConnections > 0) {
    server.maxConnections = cfg.maxConnections;
    server.on('drop', () => hooks.onRefused?.(0, 'too_many_connections', `connection closed: ${cfg.maxConnections} connections open (max_connections)`));
  }
  let inFlight = 0;

  const respond = (req: http.IncomingMessage, res: http.ServerResponse, a: HttpAnswer, close: boolean) => {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { ...cfg.responseHeaders, ...corsHeaders(req, cfg.cors), ...a.headers };
    if (close) headers.Connection = 'close';
    const body = a.body === undefined ? undefined : typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    headers['Content-Length'] = String(body?.length ?? 0);
    res.writeHead(a.status, headers);
    res.end(body);
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (cfg.cors && req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      respond(req, res, preflight(req, cfg.cors), false);
      req.resume();
      return;
    }
    if (cfg.maxConcurrentRequests > 0 && inFlight >= cfg.maxConcurrentRequests) {
      // Answered without reading the body, so the connection closes after the answer.
      const e = new HttpError(503, `too many requests in flight (max_concurrent_requests: ${cfg.maxConcurrentRequests}); retry later`, { 'Retry-After': '1' }, true);
      e.retryAfterSeconds = 1;
      e.reason = 'too_many_requests';
      hooks.onRefused?.(503, e.label, e.message);
      respond(req, res, renderError(req, e), true);
      return;
    }
    inFlight++;
    handler(req)
      .then(
        (a) => respond(req, res, a, false),
        (e: unknown) => {
          if (e instanceof HttpError) {
            respond(req, res, renderError(req, e), e.closeConnection || !req.complete);
          } else {
            hooks.onUnexpected(e);
            respond(req, res, renderError(req, new HttpError(500, 'internal error while handling the request')), !req.complete);
          }
        },
      )
      .finally(() => inFlight--);
  });
  // Malformed HTTP (bad request line, oversized headers), timeouts: a short answer and close,
  // never a throw.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // A client that went away (reset) is not a refused request: nothing to answer or count.
    if (!socket.writable || pending?.headersSent || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const a = clientErrorAnswer(err.code);
    hooks.onRefused?.(Number(a.status.slice(0, 3)), a.reason, a.body.trim());
    socket.end(`HTTP/1.1 ${a.status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(a.body)}\r\n\r\n${a.body}`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(hp.port, listenHost(hp.host), () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;

  return {
    server,
    port: addr.port,
    address: addr.address,
    close(deadline: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const force = () => server.closeAllConnections();
        if (deadline.aborted) force();
        else deadline.addEventListener('abort', force, { once: true });
        server.close(() => {
          deadline.removeEventListener('abort', force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
