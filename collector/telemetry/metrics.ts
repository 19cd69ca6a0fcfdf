/**
 * The collector's own metrics, in Prometheus text through prom-client. Names follow the
 * OpenTelemetry Collector's internal telemetry (`otelcol_receiver_accepted_spans`, ...) so the
 * dashboards and alerts users already have keep working; drops carry a `reason` label.
 */
import client from 'prom-client';
import type { Logger } from './logger.js';
import { liveMemoryBytes } from './process-memory.js';

export class CollectorMetrics {
  readonly registry = new client.Registry();

  readonly receiverAccepted = new client.Counter({
    name: 'otelcol_receiver_accepted_spans_total',
    help: 'Spans successfully pushed into the pipeline.',
    labelNames: ['receiver', 'transport'] as const,
    registers: [this.registry],
  });
  readonly receiverRefused = new client.Counter({
    name: 'otelcol_receiver_refused_spans_total',
    help: 'Spans refused to the client (the client keeps retryable ones).',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers: [this.registry],
  });
  readonly receiverRefusedRequests = new client.Counter({
    name: 'meshtrace_receiver_refused_requests_total',
    help: 'Requests a receiver refused (any error answer, Node HTTP parser errors included), by reason.',
    labelNames: ['receiver', 'transport', 'reason'] as const,
    registers: [this.registry],
  });
  /** Set by the service once the memory budget is sized (collector/service/memory-budget.ts). */
  readonly memoryBudget = new client.Gauge({
    name: 'meshtrace_memory_budget_bytes',
    help: 'The memory budget: total, soft_limit, reserved (queues and batch buffers at most), admission (receivers), waiting.',
    labelNames: ['part'] as const,
    registers: [this.registry],
  });
  /** Read at scrape time: the receivers' admission controller, once the service has sized it. */
  admissionProbe: (() => { inFlight: number; waiting: number }) | undefined;
  readonly admissionInFlight: client.Gauge = new client.Gauge({
    name: 'meshtrace_admission_in_flight_bytes',
    help: 'Bytes the receivers hold for requests being read, decoded and pushed (admission control).',
    registers: [this.registry],
    collect: () => {
      const p = this.admissionProbe?.();
      if (p) this.admissionInFlight.set(p.inFlight);
    },
  });
  readonly admissionWaiting: client.Gauge = new client.Gauge({
    name: 'meshtrace_admission_waiting_bytes',
    help: 'Bytes of requests waiting for admission.',
    registers: [this.registry],
    collect: () => {
      const p = this.admissionProbe?.();
      if (p) this.admissionWaiting.set(p.waiting);
    },
  });
  readonly exporterSent = new client.Counter({
    name: 'otelcol_exporter_sent_spans_total',
    help: 'Spans successfully sent to the destination.',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly exporterSendFailed = new client.Counter({
    name: 'otelcol_exporter_send_failed_spans_total',
    help: 'Spans whose send attempt failed (they may still be retried).',
    labelNames: ['exporter', 'reason'] as const,
    registers: [this.registry],
  });
  readonly spansDropped = new client.Counter({
    name: 'meshtrace_spans_dropped_total',
    help: 'Spans the collector accepted and then dropped for good, by component and reason.',
    labelNames: ['component', 'reason'] as const,
    registers: [this.registry],
  });
  readonly queueSize = new client.Gauge({
    name: 'otelcol_exporter_queue_size',
    help: 'Spans waiting in the exporter sending queue.',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly queueCapacity = new client.Gauge({
    name: 'otelcol_exporter_queue_capacity',
    help: 'Capacity of the exporter sending queue, in spans.',
    labelNames: ['exporter'] as const,
    registers: [this.registry],
  });
  readonly batchSendSize = new client.Histogram({
    name: 'otelcol_processor_batch_batch_send_size',
    help: 'Number of spans in each batch sent.',
    labelNames: ['processor'] as const,
    buckets: [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000],
    registers: [this.registry],
  });

  readonly batchSizeTriggerSend = new client.Counter({
    name: 'otelcol_processor_batch_batch_size_trigger_send_total',
    help: 'Number of times a batch was sent because it reached send_batch_size.',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly batchTimeoutTriggerSend = new client.Counter({
    name: 'otelcol_processor_batch_timeout_trigger_send_total',
    help: 'Number of times a batch was sent because its timeout expired.',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorRefused = new client.Counter({
    name: 'otelcol_processor_refused_spans_total',
    help: 'Spans a processor refused (retryably) to the component before it.',
    labelNames: ['processor', 'reason'] as const,
    registers: [this.registry],
  });
  readonly processMemory = new client.Gauge({
    name: 'otelcol_process_memory_rss',
    help: 'Resident set size of the collector process, in bytes.',
    registers: [this.registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  readonly processHeapAlloc = new client.Gauge({
    name: 'otelcol_process_runtime_heap_alloc_bytes',
    help: 'Live JavaScript memory (V8 heapUsed + external buffers), what memory_limiter measures.',
    registers: [this.registry],
    collect() {
      this.set(liveMemoryBytes());
    },
  });
  readonly processUptime = new client.Gauge({
    name: 'otelcol_process_uptime_seconds',
    help: 'Uptime of the collector process, in seconds.',
    registers: [this.registry],
    collect() {
      this.set(process.uptime());
    },
  });

  /** Counts and logs spans dropped for good: every drop has a reason (brief: no silent loss). */
  dropped(logger: Logger, component: string, count: number, reason: string, detail?: string): void {
    if (count <= 0) return;
    this.spansDropped.inc({ component, reason }, count);
    logger.warn({ component, dropped_spans: count, reason, detail }, 'spans dropped');
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  contentType(): string {
    return this.registry.contentType;
  }
}
