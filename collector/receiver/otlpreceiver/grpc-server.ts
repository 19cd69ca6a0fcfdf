/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on @grpc/grpc-js.
 * The service is registered with identity (Buffer) serializers, so each request is decoded
 * exactly once, by our codec, where a malformed message becomes INVALID_ARGUMENT (a throwing
 * grpc-js deserializer would answer INTERNAL). grpc-js itself handles gzip/deflate request
 * compression and enforces max_recv_msg_size_mib (RESOURCE_EXHAUSTED).
 */
import * as grpc from '@grpc/grpc-js';
import { parseHostPort } from '../../config/validate.js';
import type { OtlpGrpcConfig } from './config.js';
import { encodeRpcStatus, GrpcCode } from '../internal/rpc-status.js';
import { rawTraceServiceDefinition } from '../../pdata/otlp-grpc-service.js';

export { EXPORT_PATH } from '../../pdata/otlp-grpc-service.js';

/** The outcome of one Export call. */
export type ExportResult = { ok: true; response: Uint8Array } | { ok: false; code: number; message: string; retryAfterSeconds?: number };

export type ExportHandler = (request: Buffer) => Promise<ExportResult>;

/** Builds the gRPC error with google.rpc.Status (and RetryInfo) in grpc-status-details-bin. */
export function grpcError(code: number, message: string, retryAfterSeconds?: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (retryAfterSeconds !== undefined || code !== GrpcCode.INVALID_ARGUMENT) {
    metadata.set('grpc-status-details-bin', encodeRpcStatus({ code, message, retryDelaySeconds: retryAfterSeconds }));
  }
  return { code, details: message, metadata };
}

function bindAddress(endpoint: string): string {
  const hp = parseHostPort(endpoint);
  if (!hp) throw new Error(`invalid endpoint ${endpoint}`);
  if (hp.host === '') return `0.0.0.0:${hp.port}`; // ":4317": all interfaces, as Go's net.Listen
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

export interface RunningGrpcServer {
  readonly port: number;
  close(deadline: AbortSignal): Promise<void>;
}

export async function startGrpcServer(cfg: OtlpGrpcConfig, handle: ExportHandler, onUnexpected: (e: unknown) => void): Promise<RunningGrpcServer> {
  const options: grpc.ServerOptions = {
    'grpc.max_receive_message_length': cfg.maxRecvMsgSizeBytes,
  };
  if (cfg.maxConcurrentStreams > 0) options['grpc.max_concurrent_streams'] = cfg.maxConcurrentStreams;
  const k = cfg.keepalive;
  if (k.maxConnectionIdleMs !== undefined) options['grpc.max_connection_idle_ms'] = k.maxConnectionIdleMs;
  if (k.maxConnectionAgeMs !== undefined) options['grpc.max_connection_age_ms'] = k.maxConnectionAgeMs;
  if (k.maxConnectionAgeGraceMs !== undefined) options['grpc.max_connection_age_grace_ms'] = k.maxConnectionAgeGraceMs;
  if (k.timeMs !== undefined) options['grpc.keepalive_time_ms'] = k.timeMs;
  if (k.timeoutMs !== undefined) options['grpc.keepalive_timeout_ms'] = k.timeoutMs;

  const server = new grpc.Server(options);
  server.addService(rawTraceServiceDefinition, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      handle(call.request).then(
        (r) => {
          if (r.ok) callback(null, Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength));
          else callback(grpcError(r.code, r.message, r.retryAfterSeconds), null);
        },
        (e: unknown) => {
          onUnexpected(e);
          callback(grpcError(GrpcCode.INTERNAL, 'internal error while handling the request'), null);
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const credentials = cfg.tls
      ? grpc.ServerCredentials.createSsl(cfg.tls.clientCa ?? null, [{ cert_chain: cfg.tls.cert, private_key: cfg.tls.key }], cfg.tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(bindAddress(cfg.endpoint), credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port,
    close(deadline: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const force = () => server.forceShutdown();
        if (deadline.aborted) force();
        else deadline.addEventListener('abort', force, { once: true });
        server.tryShutdown(() => {
          deadline.removeEventListener('abort', force);
          resolve();
        });
      });
    },
  };
}
