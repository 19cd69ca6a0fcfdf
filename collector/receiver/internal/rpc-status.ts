/**
 * google.rpc.Status and google.rpc.RetryInfo, the error model of gRPC and of OTLP/HTTP error
 * bodies, from the small vendored proto (collector/proto/google/rpc/status.proto).
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function protoDir(): string {
  // Works from the TypeScript sources and from the build (dist/collector/receiver/internal).
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '../../proto'), path.resolve(here, '../../../../collector/proto')]) {
    if (fs.existsSync(path.join(candidate, 'google/rpc/status.proto'))) return candidate;
  }
  throw new Error(`google/rpc/status.proto not found near ${here}`);
}

const root = new protobuf.Root();
const dir = protoDir();
// google/protobuf/{any,duration}.proto are bundled with protobufjs ("common" types); it picks
// them up by their google/protobuf/ suffix whatever the resolved directory is.
root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(dir, target));
root.loadSync('google/rpc/status.proto', { keepCase: false });

const StatusType = root.lookupType('google.rpc.Status');
// The bundled google.protobuf.Any keeps its snake_case field name whatever keepCase says.
const ANY_TYPE_URL_FIELD = root.lookupType('google.protobuf.Any').fieldsArray[0].name;
const RetryInfoType = root.lookupType('google.rpc.RetryInfo');

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** gRPC status codes used by the receivers (google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export interface RpcStatus {
  code: number;
  message: string;
  /** Seconds the client should wait before retrying; adds a RetryInfo detail. */
  retryDelaySeconds?: number;
}

function toMessage(s: RpcStatus): Record<string, unknown> {
  const details: unknown[] = [];
  if (s.retryDelaySeconds !== undefined) {
    const value = RetryInfoType.encode(
      RetryInfoType.fromObject({ retryDelay: { seconds: Math.max(0, Math.ceil(s.retryDelaySeconds)), nanos: 0 } }),
    ).finish();
    details.push({ [ANY_TYPE_URL_FIELD]: RETRY_INFO_TYPE_URL, value });
  }
  return { code: s.code, message: s.message, details };
}

export function encodeRpcStatus(s: RpcStatus): Buffer {
  const bytes = StatusType.encode(StatusType.fromObject(toMessage(s))).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The proto3 JSON form, as OTLP/HTTP JSON clients expect it (`details` as typed Any). */
export function rpcStatusJson(s: RpcStatus): string {
  const out: Record<string, unknown> = { code: s.code, message: s.message };
  if (s.retryDelaySeconds !== undefined) {
    out.details = [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${Math.max(0, Math.ceil(s.retryDelaySeconds))}s` }];
  }
  return JSON.stringify(out);
}

export interface DecodedRpcStatus {
  code: number;
  message: string;
  retryDelaySeconds?: number;
}

/** Decodes a google.rpc.Status (tests and clients); RetryInfo details are unpacked. */
export function decodeRpcStatus(buf: Uint8Array): DecodedRpcStatus {
  const m = StatusType.toObject(StatusType.decode(buf), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: Record<string, unknown>[];
  };
  const out: DecodedRpcStatus = { code: m.code, message: m.message };
  for (const d of m.details ?? []) {
    if (d[ANY_TYPE_URL_FIELD] === RETRY_INFO_TYPE_URL) {
      const ri = RetryInfoType.toObject(RetryInfoType.decode(d.value as Uint8Array), { longs: Number, defaults: true }) as {
        retryDelay?: { seconds: number; nanos: number };
      };
      out.retryDelaySeconds = (ri.retryDelay?.seconds ?? 0) + (ri.retryDelay?.nanos ?? 0) / 1e9;
    }
  }
  return out;
}
