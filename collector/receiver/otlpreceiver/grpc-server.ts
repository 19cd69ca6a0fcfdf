/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on @grpc/grpc-js.
 * The service is registered with identity (Buffer) serializers, so each request is decoded
 * exactly once, by our codec, where a malformed message becomes INVALID_ARGUMENT (a throwing
 * grpc-js deserializer would answer INTERNAL). grpc-js itself handles gzip/deflate request
 * compression and enforces max_recv_msg_size_mib (RESOURCE_EXHAUSTED).
 *
 * The listening socket is ours (net, or tls for `tls`), capped at `max_connections`; each
 * connection reaches grpc-js through its public connection injector, wrapped in a guard for the
 * handshake deadline, the ping policy, GOAWAY and the memory budget (grpc-connection.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { parseHostPort } from '../../config/validate.js';
import type { Admission } from '../../component/admission.js';
import type { OtlpGrpcConfig } from './config.js';
import { encodeRpcStatus, GrpcCode } from '../internal/rpc-status.js';
import { rawTraceServiceDefinition } from '../../pdata/otlp-grpc-service.js';
import { GuardedConnection } from './grpc-connection.js';

export { EXPORT_PATH } from '../../pdata/otlp-grpc-service.js';

/** The outcome of one Export call. */
export type ExportResult = { ok: true; response: Uint8Array } | { ok: false; code: number; message: string; retryAfterSeconds?: number };

/** Handles one Export request; `waitMs`: how long it may wait for admission (the call's deadline, capped). */
export type ExportHandler = (request: Buffer, waitMs: number) => Promise<ExportResult>;

export interface GrpcServerHooks {
  onUnexpected(e: unknown): void;
  /** A connection the server closed or refused by itself (reason: too_many_connections, handshake_timeout, ...). */
  onRefused?(code: string, reason: string, message: string): void;
  /** The memory budget's admission control, once the service has sized it. */
  admission(): Admission | undefined;
}

/** The longest a handler waits for admission, whatever the call's own deadline. */
const MAX_HANDLER_WAIT_MS = 5_000;

function handlerWaitMs(call: grpc.ServerUnaryCall<Buffer, Buffer>): number {
  const d = call.getDeadline();
  const at = d instanceof Date ? d.getTime() : d;
  const left = Number.isFinite(at) ? at - Date.now() : MAX_HANDLER_WAIT_MS;
  return Math.max(0, Math.min(MAX_HANDLER_WAIT_MS, left));
}

/** Builds the gRPC error with google.rpc.Status (and RetryInfo) in grpc-status-details-bin. */
export function grpcError(code: number, message: string, retryAfterSeconds?: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (retryAfterSeconds !== undefined || code !== GrpcCode.INVALID_ARGUMENT) {
    metadata.set('grpc-status-details-bin', encodeRpcStatus({ code, message, retryDelaySeconds: retryAfterSeconds }));
  }
  return { code, details: message, metadata };
}

function listenAddress(endpoint: string): { host: string; port: number } {
  const hp = parseHostPort(endpoint);
  if (!hp) throw new Error(`invalid endpoint ${endpoint}`);
  return { host: hp.host === '' ? '0.0.0.0' : hp.host, port: hp.port }; // ":4317": all interfaces, as Go's net.Listen
}

export interface RunningGrpcServer {
  readonly port: number;
  close(deadline: AbortSignal): Promise<void>;
}

export async function startGrpcServer(cfg: OtlpGrpcConfig, handle: ExportHandler, hooks: GrpcServerHooks): Promise<RunningGrpcServer> {
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
      handle(call.request, handlerWaitMs(call)).then(
        (r) => {
          if (r.ok) callback(null, Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength));
          else callback(grpcError(r.code, r.message, r.retryAfterSeconds), null);
        },
        (e: unknown) => {
          hooks.onUnexpected(e);
          callback(grpcError(GrpcCode.INTERNAL, 'internal error while handling the request'), null);
        },
      );
    },
  });
  // TLS is terminated here (Node's tls, the same settings grpc-js would use), so the guard sees
  // HTTP/2 frames; grpc-js then serves the decrypted stream.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const policy = {
    handshakeTimeoutMs: cfg.handshakeTimeoutMs,
    maxRecvMsgSizeBytes: cfg.maxRecvMsgSizeBytes,
    minPingIntervalMs: cfg.enforcement.minTimeMs,
    permitWithoutStream: cfg.enforcement.permitWithoutStream,
  };
  const guard = (socket: net.Socket) => {
    injector.injectConnection(
      new GuardedConnection(socket, policy, {
        admission: hooks.admission,
        onClose: (reason, detail) => hooks.onRefused?.('connection closed', reason, detail),
        onRefused: (reason, detail) => hooks.onRefused?.('RESOURCE_EXHAUSTED', reason, detail),
      }),
    );
  };
  const t = cfg.tls;
  const listener: net.Server = t
    ? tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          ca: t.clientCa,
          requestCert: t.clientCa !== undefined,
          rejectUnauthorized: t.clientCa !== undefined,
          ALPNProtocols: ['h2'],
          handshakeTimeout: cfg.handshakeTimeoutMs > 0 ? cfg.handshakeTimeoutMs : undefined,
        },
        guard,
      )
    : net.createServer({ noDelay: true }, guard);
  if (t) {
    // A failed or timed-out TLS handshake only ends that socket.
    listener.on('tlsClientError', (err: Error, socket: net.Socket) => {
      hooks.onRefused?.('connection closed', /timed? ?out/i.test(err.message) ? 'handshake_timeout' : 'tls_error', err.message);
      socket.destroy();
    });
  }
  if (cfg.maxConnections > 0) {
    listener.maxConnections = cfg.maxConnections;
    listener.on('drop', () => hooks.onRefused?.('connection closed', 'too_many_connections', `${cfg.maxConnections} connections open (max_connections)`));
  }
  const addr = listenAddress(cfg.endpoint);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(addr.port, addr.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const port = (listener.address() as net.AddressInfo).port;
  return {
    port,
    close(deadline: AbortSignal): Promise<void> {
      listener.close();
      return new Promise<void>((resolve) => {
        const force = () => {
          injector.destroy();
          server.forceShutdown();
        };
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
