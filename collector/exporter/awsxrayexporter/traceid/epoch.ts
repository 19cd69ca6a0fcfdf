/**
 * X-Ray trace IDs: `1-` + 8 hex digits of a Unix epoch (seconds) + `-` + 24 hex digits. An OTel
 * trace ID has 128 random bits, so its first 32 bits are almost never a plausible epoch, and
 * X-Ray historically refused (and upstream awsxrayexporter drops) IDs whose epoch is not within
 * (now − 28 days, now + 5 minutes). These pure functions decide whether an ID can be kept and
 * compute a replacement epoch that every collector replica derives identically.
 */
import { idToHex } from '../../../pdata/model.js';

/** Upstream's bound: AWS keeps 30 days, 28 leaves margin. */
export const MAX_EPOCH_AGE_SEC = 28 * 24 * 3600;
/** Clock skew tolerated into the future. */
export const MAX_EPOCH_SKEW_SEC = 5 * 60;

/**
 * A trace ID as 16 bytes: 64-bit IDs (Zipkin/B3, older Jaeger) are the low half of a 128-bit ID,
 * so they are padded with 8 leading zero bytes (their "epoch" is then 0 and gets rewritten).
 * Undefined for any other length or an all-zero ID (invalid in W3C and OTLP).
 */
export function normalizeTraceId(id: Uint8Array | null | undefined): Uint8Array | undefined {
  if (!id) return undefined;
  let out: Uint8Array;
  if (id.length === 16) out = id;
  else if (id.length === 8) {
    out = new Uint8Array(16);
    out.set(id, 8);
  } else return undefined;
  for (let i = 0; i < 16; i++) if (out[i] !== 0) return out;
  return undefined;
}

/** The first 32 bits, big-endian, as X-Ray reads them. */
export function embeddedEpoch(traceId: Uint8Array): number {
  return ((traceId[0] << 24) | (traceId[1] << 16) | (traceId[2] << 8) | traceId[3]) >>> 0;
}

/** Whether X-Ray accepts `epoch` at `nowSec`: strictly inside (now − 28 d, now + 5 min). */
export function isAcceptableEpoch(epoch: number, nowSec: number): boolean {
  return epoch > nowSec - MAX_EPOCH_AGE_SEC && epoch < nowSec + MAX_EPOCH_SKEW_SEC;
}

/**
 * FNV-1a over the 16 ID bytes: a cheap, well-spread, dependency-free hash that every replica
 * (and every language) computes the same way. Not security-relevant.
 */
export function traceIdHash(traceId: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The deterministic epoch: time is cut into windows of `windowSec`, shifted per trace by
 * offset = hash(traceId) mod W; the epoch is the start of the window containing `startSec`:
 *
 *     epoch = floor((startSec − offset) / W) · W + offset
 *
 * Two spans of one trace get the same epoch unless the trace crosses its own window boundary.
 * For a trace lasting d seconds (d ≤ W) that happens with probability d / W, since the offset
 * places the boundary uniformly relative to the trace's start. The per-trace offset spreads
 * boundaries so that not every trace in flight at one instant straddles the same one.
 */
export function windowEpoch(traceId: Uint8Array, startSec: number, windowSec: number): number {
  const w = Math.max(1, Math.floor(windowSec));
  const offset = traceIdHash(traceId) % w;
  return Math.floor((Math.floor(startSec) - offset) / w) * w + offset;
}

/**
 * The epoch for a span whose ID must be rewritten, computed from its start time, or from `nowSec`
 * when the span's start time is itself implausible (a client with a broken clock) — so the result
 * is always acceptable to X-Ray.
 */
export function deterministicEpoch(traceId: Uint8Array, startSec: number, nowSec: number, windowSec: number): number {
  const candidate = windowEpoch(traceId, startSec, windowSec);
  if (isAcceptableEpoch(candidate, nowSec)) return candidate;
  const fromNow = windowEpoch(traceId, nowSec, windowSec);
  // With W far below 28 days this is always acceptable; clamp anyway for absurd configs.
  return isAcceptableEpoch(fromNow, nowSec) ? fromNow : Math.floor(nowSec);
}

/** `1-<epoch hex8>-<bytes 4..15 hex24>`. */
export function formatXrayTraceId(epoch: number, traceId: Uint8Array): string {
  return '1-' + (epoch >>> 0).toString(16).padStart(8, '0') + '-' + idToHex(traceId.subarray(4, 16));
}

export type TraceIdEpochMode = 'rewrite' | 'passthrough';

/**
 * Whether the ID needs an epoch from the resolver: only in `rewrite` mode and only when its own
 * first 32 bits are not an acceptable epoch.
 */
export function needsRewrite(mode: TraceIdEpochMode, traceId: Uint8Array, nowSec: number): boolean {
  return mode === 'rewrite' && !isAcceptableEpoch(embeddedEpoch(traceId), nowSec);
}
