/**
 * POSTs encoded ExportTraceServiceRequests to the OTLP/HTTP destination over node:http(s) with
 * a keep-alive agent (one TCP/TLS connection per concurrent sender, reused). The request is
 * encoded once (at enqueue time: the queue holds only bytes) and gzipped once however often it
 * is retried — on the event loop up to 256 KiB (cheaper), in zlib's thread pool above.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { TraceData } from '../../pdata/model.js';
import { decodeTraceResponse, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { RetryableError, type SendResult } from '../exporterhelper/errors.js';
import type { OtlpHttpExporterConfig } from './config.js';
import { errorBodyMessage, httpFailure } from './http-status.js';

const gzip = promisify(zlib.gzip);
/** Up to this size a request is gzipped synchronously (about 1 ms at level 6). */
export const SYNC_GZIP_MAX_BYTES = 256 * 1024;
/** Enough for any Status or partial_success answer; a bigger body is cut off, not buffered. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class OtlpHttpSender {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly baseHeaders: Record<string, string>;
  /** gzip of a queued request, kept while the queue holds it (retries compress once). */
  private readonly compressed = new WeakMap<Uint8Array, Buffer>();

  constructor(private readonly cfg: OtlpHttpExporterConfig) {
    this.url = new URL(cfg.url);
    const isHttps = this.url.protocol === 'https:';
    this.transport = isHttps ? https : http;
    const agentOpts = { keepAlive: true, maxSockets: Math.max(1, cfg.queue.numConsumers), scheduling: 'lifo' as const };
    this.agent = isHttps
      ? new https.Agent({
          ...agentOpts,
          ca: cfg.tls.ca,
          cert: cfg.tls.cert,
          key: cfg.tls.key,
          rejectUnauthorized: !cfg.tls.insecureSkipVerify,
          servername: cfg.tls.serverNameOverride,
        })
      : new http.Agent(agentOpts);
    this.baseHeaders = {
      'user-agent': 'meshtrace-collector',
      ...cfg.headers,
      'content-type': 'application/x-protobuf',
    };
    if (cfg.compression === 'gzip') this.baseHeaders['content-encoding'] = 'gzip';
  }

  /** Encodes once, at enqueue time (the sending queue holds only these bytes). */
  encode = (td: TraceData): Uint8Array => encodeTraceRequest(td);

  private async body(raw: Uint8Array): Promise<Buffer> {
    if (this.cfg.compression !== 'gzip') return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let z = this.compressed.get(raw);
    if (!z) {
      // Small requests are compressed on the event loop: handing ~100 KB to zlib's thread pool
      // and back costs more CPU than the compression itself saves the loop (measured: +40% CPU
      // per request at level 6, +60% at level 1, on one core); large ones go to the pool so a
      // big batch never blocks the loop for long.
      const level = this.cfg.compressionLevel;
      z = raw.byteLength <= SYNC_GZIP_MAX_BYTES ? zlib.gzipSync(raw, { level }) : await gzip(raw, { level });
      this.compressed.set(raw, z);
    }
    return z;
  }

  send = async (request: Uint8Array, signal: AbortSignal): Promise<SendResult | void> => {
    const body = await this.body(request);
    const { status, headers, data } = await this.post(body, signal);
    const contentType = headers['content-type'];
    if (status >= 200 && status < 300) return partialSuccess(data, contentType);
    throw httpFailure(status, errorBodyMessage(data, contentType), headerValue(headers['retry-after']));
  };

  private post(body: Buffer, signal: AbortSignal): Promise<{ status: number; headers: http.IncomingHttpHeaders; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.baseHeaders, 'content-length': String(body.length) },
        signal,
      });
      req.on('error', (e) => reject(new RetryableError(`OTLP/HTTP request to ${this.url.host} failed: ${e.message}`, { cause: e })));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(new RetryableError(`OTLP/HTTP response from ${this.url.host} failed: ${e.message}`, { cause: e })));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** partial_success from a 2xx answer (protobuf or JSON); an unreadable body loses nothing. */
export function partialSuccess(data: Buffer, contentType: string | undefined): SendResult | void {
  if (data.length === 0) return;
  try {
    if ((contentType ?? '').toLowerCase().includes('json')) {
      const j = JSON.parse(data.toString('utf8')) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
      const ps = j.partialSuccess;
      if (!ps) return;
      return { rejectedSpans: Number(ps.rejectedSpans ?? 0) || 0, message: ps.errorMessage || undefined };
    }
    const ps = decodeTraceResponse(data).partialSuccess;
    if (!ps) return;
    return { rejectedSpans: Number(ps.rejectedSpans ?? 0), message: ps.errorMessage || undefined };
  } catch (e) {
    return { message: `unreadable ExportTraceServiceResponse: ${(e as Error).message}` };
  }
}
