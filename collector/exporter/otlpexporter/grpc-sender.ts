/**
 * One OTLP/gRPC channel to the destination (@grpc/grpc-js): TraceService/Export with a raw
 * (identity) serializer, because the request is already encoded once by otlp-proto.ts — grpc-js
 * never sees the object model. Compression, headers, TLS and the deadline are set per channel
 * and per call; failures become RetryableError/PermanentError for the sending queue.
 */
import * as grpc from '@grpc/grpc-js';
import { decodeTraceResponse, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import type { TraceData } from '../../pdata/model.js';
import { decodeRpcStatus } from '../../receiver/internal/rpc-status.js';
import type { SendResult } from '../exporterhelper/errors.js';
import type { OtlpExporterConfig } from './config.js';
import { grpcFailure } from './grpc-status.js';
import { EXPORT_PATH, identityBuffer } from '../../pdata/otlp-grpc-service.js';
import type { Host } from '../../component/component.js';
import { grpcClientAuthenticator, type GrpcClientAuthenticator } from '../../extension/extensionauth/client.js';

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function credentials(cfg: OtlpExporterConfig): grpc.ChannelCredentials {
  if (!cfg.useTls) return grpc.credentials.createInsecure();
  const t = cfg.tls;
  return grpc.credentials.createSsl(t.ca ?? null, t.key ?? null, t.cert ?? null, {
    rejectUnauthorized: !t.insecureSkipVerify,
    ...(t.insecureSkipVerify ? { checkServerIdentity: () => undefined } : {}),
  });
}

/** The retry delay a failed call's grpc-status-details-bin (google.rpc.Status) asks for, in ms. */
export function retryDelayFromMetadata(md: grpc.Metadata | undefined): number | undefined {
  const bin = md?.get('grpc-status-details-bin')[0];
  if (!bin || typeof bin === 'string') return undefined;
  try {
    const s = decodeRpcStatus(bin);
    return s.retryDelaySeconds === undefined ? undefined : Math.round(s.retryDelaySeconds * 1000);
  } catch {
    return undefined; // malformed details: treat as absent
  }
}

export class OtlpGrpcSender {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;
  private auth?: GrpcClientAuthenticator;

  constructor(private readonly cfg: OtlpExporterConfig) {
    const options: grpc.ChannelOptions = {
      'grpc.default_compression_algorithm': cfg.compression === 'gzip' ? grpc.compressionAlgorithms.gzip : grpc.compressionAlgorithms.identity,
      'grpc.max_send_message_length': -1,
      'grpc.primary_user_agent': 'meshtrace-collector',
      // grpc-js backs off reconnecting up to 120 s; a backend back after a long outage would then
      // sit unused for up to two minutes while the queue fills. 5 s matches the retry interval.
      'grpc.max_reconnect_backoff_ms': 5_000,
    };
    if (cfg.useTls && cfg.tls.serverNameOverride) options['grpc.ssl_target_name_override'] = cfg.tls.serverNameOverride;
    this.client = new grpc.Client(cfg.address, credentials(cfg), options);
    this.metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(cfg.headers)) this.metadata.set(k.toLowerCase(), v);
  }

  /** Resolves `auth.authenticator` (extensions start first); `path` names it in errors. */
  start(host: Host, path: string): void {
    if (this.cfg.authenticator === undefined) return;
    const auth = grpcClientAuthenticator(host, this.cfg.authenticator, path);
    if (auth.requiresTransportSecurity && !this.cfg.useTls) {
      // As otelcol (grpc-go refuses such PerRPCCredentials on an insecure channel): never send a token in clear text.
      throw new Error(`${path}: extension "${this.cfg.authenticator}" sends credentials only over TLS, and this endpoint is plaintext (tls.insecure or http://)`);
    }
    this.auth = auth;
  }

  /** The configured headers plus the authenticator's, read per call so a rotated token applies at once. */
  private callMetadata(): grpc.Metadata {
    if (!this.auth) return this.metadata;
    const md = this.metadata.clone();
    for (const [k, v] of Object.entries(this.auth.grpcMetadata())) md.set(k, v);
    return md;
  }

  /** Encodes once, at enqueue time (the sending queue holds only these bytes). */
  encode = (td: TraceData): Uint8Array => encodeTraceRequest(td);

  send = (request: Uint8Array, signal: AbortSignal): Promise<SendResult | void> => {
    const payload = toBuffer(request);
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = this.cfg.timeoutMs > 0 ? { deadline: Date.now() + this.cfg.timeoutMs } : {};
      const call = this.client.makeUnaryRequest<Buffer, Buffer>(EXPORT_PATH, identityBuffer, identityBuffer, payload, this.callMetadata(), options, (err, resp) => {
        signal.removeEventListener('abort', onAbort);
        if (err) {
          reject(grpcFailure(err.code, err.details || err.message, retryDelayFromMetadata(err.metadata)));
          return;
        }
        try {
          const ps = resp && resp.length > 0 ? decodeTraceResponse(resp).partialSuccess : undefined;
          if (!ps) return resolve();
          resolve({ rejectedSpans: Number(ps.rejectedSpans ?? 0), message: ps.errorMessage || undefined });
        } catch (e) {
          // The data arrived (status OK); an unreadable response body loses nothing.
          resolve({ message: `unreadable ExportTraceServiceResponse: ${(e as Error).message}` });
        }
      });
      const onAbort = () => call.cancel();
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  };

  close(): void {
    this.client.close();
  }
}
