/**
 * POSTs encoded ExportTraceServiceRequests to the OTLP/HTTP destination over node:http(s) with
 * a keep-alive agent (one TCP/TLS connection per concurrent sender, reused). A batch is encoded
 * once (at enqueue time: the queue holds only bytes) and gzipped once however often it is
 * retried — on the event loop up to 256 KiB (cheaper), in zlib's thread pool above.
 *
 * With `auth.authenticator`, every attempt goes through the extension (sigv4auth signs the exact
 * bytes sent, so a retry is signed again). Sending to X-Ray's OTLP endpoint (its host name, or a
 * sigv4auth signing for service `xray`), a batch becomes as many requests as X-Ray's limits need
 * (xray-limits.ts) and spans X-Ray can never take are dropped, counted and logged instead of
 * failing the whole request; the requests of one batch go in order, and a failure retries only
 * that request and the ones after it.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { CreateSettings, Host } from '../../component/component.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import { decodeTraceResponse, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { httpClientAuthenticator, type HttpRequestAuthenticator } from '../../extension/extensionauth/client.js';
import { isXrayOtlpHost } from '../../extension/sigv4authextension/destination.js';
import { PermanentError, RetryableError, type SendResult } from '../exporterhelper/errors.js';
import type { PreparedBatch } from '../exporterhelper/queued-exporter.js';
import type { OtlpHttpExporterConfig } from './config.js';
import { errorBodyMessage, httpFailure } from './http-status.js';
import { encodeWithinLimit, planXrayRequests, XRAY_OTLP_LIMITS, type XrayDropReason, type XrayDrop } from './xray-limits.js';

/** What the sending queue holds for one batch. */
export interface OtlpHttpPayload {
  /** Encoded requests, sent in order: one, unless X-Ray's limits split the batch. */
  parts: Uint8Array[];
  /** Spans in each part. */
  spans: number[];
  /**
   * Spans of parts already sent that the destination refused for good (a 4xx, or partial_success
   * rejections), reported once the parts after them are through, so none is counted as sent.
   */
  refused?: { spans: number; message: string };
}

const gzip = promisify(zlib.gzip);
/** Up to this size a request is gzipped synchronously (about 1 ms at level 6). */
export const SYNC_GZIP_MAX_BYTES = 256 * 1024;
/** Enough for any Status or partial_success answer; a bigger body is cut off, not buffered. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class OtlpHttpSender {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  /** Lower-case names, so an authenticator's header replaces a configured one of the same name. */
  private readonly baseHeaders: Record<string, string>;
  /** gzip of a queued request, kept while the queue holds it (retries compress once). */
  private readonly compressed = new WeakMap<Uint8Array, Buffer>();
  private auth?: HttpRequestAuthenticator;
  /** X-Ray's OTLP endpoint: its limits apply (decided at start, once the authenticator is known). */
  private xray = false;

  constructor(
    private readonly cfg: OtlpHttpExporterConfig,
    private readonly settings: CreateSettings,
  ) {
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
    this.baseHeaders = { 'user-agent': 'meshtrace-collector' };
    for (const [k, v] of Object.entries(cfg.headers)) this.baseHeaders[k.toLowerCase()] = v;
    this.baseHeaders['content-type'] = 'application/x-protobuf';
    if (cfg.compression === 'gzip') this.baseHeaders['content-encoding'] = 'gzip';
  }

  /** Resolves the authenticator (extensions start first) and whether X-Ray's limits apply. */
  async start(host: Host): Promise<void> {
    const id = this.settings.id;
    if (this.cfg.authenticator !== undefined) {
      const path = `exporters.${id}.auth.authenticator`;
      this.auth = await httpClientAuthenticator(host, this.cfg.authenticator, path).httpAuthenticator(this.url, path);
    }
    this.xray = isXrayOtlpHost(this.url.hostname) || this.auth?.awsSigningService === 'xray';
    if (this.xray) {
      this.settings.logger.info(
        { exporter: id, endpoint: this.url.origin },
        "X-Ray OTLP endpoint: requests kept within X-Ray's limits (10,000 spans, 5 MB, 24 h); spans it can never take are dropped and counted",
      );
    }
  }

  /**
   * Runs once per batch at enqueue time (the sending queue holds only the bytes): encodes it, and
   * for X-Ray first drops what X-Ray cannot take and splits the rest to its limits.
   */
  prepare = (td: TraceData): PreparedBatch<OtlpHttpPayload> => {
    if (!this.xray) {
      const bytes = encodeTraceRequest(td);
      const spans = spanCount(td);
      return { payload: { parts: [bytes], spans: [spans] }, spans, bytes: bytes.byteLength };
    }
    const plan = planXrayRequests(td, Date.now());
    const payload: OtlpHttpPayload = { parts: [], spans: [] };
    let bytes = 0;
    for (const req of plan.requests) {
      for (const part of encodeWithinLimit(req, spanCount(req), XRAY_OTLP_LIMITS.maxRequestBytes, encodeTraceRequest)) {
        payload.parts.push(part.bytes);
        payload.spans.push(part.spans);
        bytes += part.bytes.byteLength;
      }
    }
    return { payload, spans: plan.kept, bytes, onAccepted: plan.drops.size > 0 ? () => this.countDrops(plan.drops) : undefined };
  };

  private countDrops(drops: Map<XrayDropReason, XrayDrop>): void {
    const s = this.settings;
    for (const [reason, d] of drops) {
      s.metrics.dropped(s.logger, `exporter/${s.id}`, d.spans, reason, d.spans > 1 ? `${d.detail} (and ${d.spans - 1} more)` : d.detail);
    }
  }

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

  send = async (payload: OtlpHttpPayload, signal: AbortSignal): Promise<SendResult | void> => {
    if (payload.parts.length === 1 && !payload.refused) return this.sendOne(payload.parts[0]!, signal);
    let refused = payload.refused;
    let delivered = false;
    let lastPermanent: PermanentError | undefined;
    for (let i = 0; i < payload.parts.length; i++) {
      let res: SendResult | void;
      try {
        res = await this.sendOne(payload.parts[i]!, signal);
      } catch (err) {
        if (err instanceof PermanentError) {
          // This request is refused for good (e.g. 400); the others may well be fine.
          lastPermanent = err;
          refused = addRefused(refused, payload.spans[i]!, err.message);
          continue;
        }
        // Retry this request and the ones after it; what was delivered before stays delivered.
        const rest: OtlpHttpPayload = { parts: payload.parts.slice(i), spans: payload.spans.slice(i), refused };
        let restSpans = refused?.spans ?? 0;
        for (const n of rest.spans) restSpans += n;
        const retryAfterMs = err instanceof RetryableError ? err.retryAfterMs : undefined;
        throw new RetryableError((err as Error).message ?? String(err), { retryAfterMs, retryPayload: { payload: rest, spans: restSpans }, cause: err });
      }
      delivered = true;
      if (res && ((res.rejectedSpans ?? 0) > 0 || res.message)) refused = addRefused(refused, res.rejectedSpans ?? 0, res.message ?? '');
    }
    // Nothing got through: the batch fails as its requests did (counted with their reason).
    if (!delivered && lastPermanent) throw lastPermanent;
    if (refused) return { rejectedSpans: refused.spans, message: refused.message || undefined };
  };

  /**
   * One request within `timeout`. The timeout is per request, not per batch (the factory turns
   * the queue's per-attempt timeout off): over the requests of a split batch, one expiring for
   * all of them would retry the ones already delivered too.
   */
  private async sendOne(request: Uint8Array, signal: AbortSignal): Promise<SendResult | void> {
    const ms = this.cfg.timeoutMs;
    if (ms <= 0) return this.exchange(request, signal);
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctrl.abort(new RetryableError(`OTLP/HTTP request to ${this.url.host} timed out after ${ms}ms`)), ms);
    try {
      return await this.exchange(request, ctrl.signal);
    } catch (err) {
      if (ctrl.signal.aborted && !signal.aborted) throw ctrl.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Compress (once), authenticate (every attempt), POST, read the answer. */
  private async exchange(request: Uint8Array, signal: AbortSignal): Promise<SendResult | void> {
    const body = await this.body(request);
    let headers: Record<string, string> = { ...this.baseHeaders, 'content-length': String(body.length) };
    if (this.auth) {
      try {
        headers = await this.auth.authenticate({ method: 'POST', url: this.url, headers, body });
      } catch (err) {
        // Credentials not there yet (IMDS, STS, Pod Identity agent): worth retrying.
        throw new RetryableError(`cannot authenticate the request to ${this.url.host}: ${(err as Error).message}`, { cause: err });
      }
    }
    const { status, headers: answer, data } = await this.post(body, headers, signal);
    const contentType = answer['content-type'];
    if (status >= 200 && status < 300) return partialSuccess(data, contentType);
    throw httpFailure(status, errorBodyMessage(data, contentType), headerValue(answer['retry-after']));
  }

  private post(body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; headers: http.IncomingHttpHeaders; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.url, { method: 'POST', agent: this.agent, headers, signal });
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

function addRefused(prev: OtlpHttpPayload['refused'], spans: number, message: string): NonNullable<OtlpHttpPayload['refused']> {
  if (!prev) return { spans, message };
  return { spans: prev.spans + spans, message: prev.message && message && prev.message !== message ? `${prev.message}; ${message}` : prev.message || message };
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
