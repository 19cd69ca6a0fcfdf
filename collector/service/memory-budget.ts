/**
 * The collector's memory budget: how much memory the process may use in total, what part the
 * components that hold data (sending queues, batch buffers) may take at most, and what is left
 * for the receivers' admission control (admission.ts). Documented in docs/collector.md,
 * "Memory budget".
 *
 *   container limit C  cgroup memory.max (process.constrainedMemory()), else physical memory
 *   heap limit H       V8's heap_size_limit (--max-old-space-size plus the young generation)
 *   total T            limit_mib, else limit_percentage (80 %) of C, and never more than H
 *   soft limit S       T − spike (spike_limit_mib / _percentage, 20 % of T by default):
 *                      above it receivers refuse, retryably
 *   reserved R         what queues and batch buffers may hold at most, from their config bounds
 *   baseline B         resident memory when the service starts (code, libraries, V8's own)
 *   admission pool P   request_limit_mib, else S − B − R (at least MIN_REQUEST_LIMIT)
 *   waiting limit W    waiting_limit_mib, else P / 4
 *   live soft limit    S − (B − live memory at start): what the per-request check compares live
 *                      memory (V8 heap used + external) with, since resident memory is live
 *                      memory plus that constant part
 *
 * Sizing is pure (sizeBudget); the probes of the real process are in telemetry/process-memory.ts.
 */
import type { LoadedConfig } from '../config/load.js';
import type { MemoryBudgetConfig } from '../extension/memorylimiterextension/config.js';
import type { SystemMemory } from '../telemetry/process-memory.js';

const MiB = 1024 * 1024;

/** The admission pool never shrinks below this, however full the budget (the collector must serve). */
export const MIN_REQUEST_LIMIT_BYTES = 8 * MiB;

/**
 * Decoded size of one span held in a batch buffer (measured: an Envoy span with ~22 attributes
 * decoded by protobufjs retains ~5.4 KB, see receiver/internal/request-cost.ts).
 */
export const HELD_SPAN_BYTES = 6 * 1024;

/** What one component may hold at most, for the budget. */
export interface HeldBound {
  component: string;
  bytes: number;
}

export interface BudgetSizes {
  totalBytes: number;
  softLimitBytes: number;
  /** The soft limit for live memory (heap used + external), see the top of this file. */
  liveSoftLimitBytes: number;
  reservedBytes: number;
  baselineBytes: number;
  requestLimitBytes: number;
  waitingLimitBytes: number;
  /** Human-readable problems with the sizing (logged as warnings at start). */
  warnings: string[];
}

/** Bytes in MiB to one decimal, for log fields and messages. */
export function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

/** Memory when the service starts: resident (what the container sees) and live (heap used + external). */
export interface Baseline {
  rssBytes: number;
  liveBytes: number;
}

/** Sizes the budget (pure). */
export function sizeBudget(cfg: MemoryBudgetConfig, sys: SystemMemory, held: readonly HeldBound[], baseline: Baseline): BudgetSizes {
  const baselineBytes = baseline.rssBytes;
  const warnings: string[] = [];
  let total: number;
  let spike: number;
  if (cfg.limitMiB > 0) {
    total = cfg.limitMiB * MiB;
    spike = cfg.spikeLimitMiB * MiB;
  } else {
    total = Math.min(Math.floor((sys.containerLimitBytes * cfg.limitPercentage) / 100), sys.heapLimitBytes);
    spike = Math.floor((total * cfg.spikeLimitPercentage) / cfg.limitPercentage);
  }
  if (sys.heapLimitBytes > sys.containerLimitBytes) {
    warnings.push(
      `the V8 heap limit (${mib(sys.heapLimitBytes)} MiB) is above the ${sys.containerLimitSource} (${mib(sys.containerLimitBytes)} MiB): garbage alone could outgrow the container; set NODE_OPTIONS=--max-old-space-size below it`,
    );
  }
  const soft = total - spike;
  const reserved = held.reduce((n, h) => n + h.bytes, 0);
  let requestLimit: number;
  if (cfg.requestLimitMiB > 0) {
    requestLimit = Math.floor(cfg.requestLimitMiB * MiB);
  } else {
    requestLimit = soft - baselineBytes - reserved;
    if (requestLimit < MIN_REQUEST_LIMIT_BYTES) {
      warnings.push(
        `the memory budget (soft limit ${mib(soft)} MiB) leaves ${mib(Math.max(0, requestLimit))} MiB for receivers after the baseline (${mib(baselineBytes)} MiB) and what queues and batches may hold (${mib(reserved)} MiB: ${held.map((h) => `${h.component} ${mib(h.bytes)}`).join(', ')}); receivers get ${mib(MIN_REQUEST_LIMIT_BYTES)} MiB. Lower sending_queue.queue_size_bytes or send_batch_size, or raise the limit`,
      );
      requestLimit = MIN_REQUEST_LIMIT_BYTES;
    }
  }
  const waitingLimit = cfg.waitingLimitMiB > 0 ? Math.floor(cfg.waitingLimitMiB * MiB) : Math.floor(requestLimit / 4);
  const liveSoft = soft - Math.max(0, baseline.rssBytes - baseline.liveBytes);
  return {
    totalBytes: total,
    softLimitBytes: soft,
    liveSoftLimitBytes: liveSoft,
    reservedBytes: reserved,
    baselineBytes,
    requestLimitBytes: requestLimit,
    waitingLimitBytes: waitingLimit,
    warnings,
  };
}

interface QueueShape {
  enabled: boolean;
  maxBytes: number;
  maxSpans: number;
}

function queueOf(config: unknown): QueueShape | undefined {
  const q = (config as { queue?: Partial<QueueShape> } | undefined)?.queue;
  if (!q || typeof q.maxBytes !== 'number' || typeof q.maxSpans !== 'number' || typeof q.enabled !== 'boolean') return undefined;
  return q as QueueShape;
}

interface BatchShape {
  sendBatchSize: number;
  sendBatchMaxSize: number;
}

/**
 * What the configured components may hold at most, read from their config bounds: every queued
 * exporter's sending queue (the smaller of queue_size_bytes and queue_size_spans at
 * HELD_SPAN_BYTES; encoded/prepared queues hold about their counted bytes) and every batch
 * processor's buffer (it refuses past max(4 × send_batch_size, send_batch_max_size, 1024) spans,
 * batchprocessor/processor.ts) — once per pipeline, since each pipeline has its own.
 */
export function heldMemoryBounds(cfg: LoadedConfig): HeldBound[] {
  const out: HeldBound[] = [];
  for (const [id, c] of cfg.exporters) {
    const q = queueOf(c.config);
    if (q?.enabled) out.push({ component: `exporter/${id}`, bytes: Math.min(q.maxBytes, q.maxSpans * HELD_SPAN_BYTES) });
  }
  for (const p of cfg.service.pipelines) {
    for (const id of p.processors) {
      const c = cfg.processors.get(id);
      if (c?.type !== 'batch') continue;
      const b = c.config as BatchShape;
      const spans = Math.max(4 * b.sendBatchSize, b.sendBatchMaxSize, 1024);
      out.push({ component: `processor/${id} (${p.id})`, bytes: spans * HELD_SPAN_BYTES });
    }
  }
  return out;
}
