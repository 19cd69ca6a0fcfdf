import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { defaultMemoryBudgetConfig, parseMemoryBudgetConfig, type MemoryBudgetConfig } from '../extension/memorylimiterextension/config.js';
import { ConfigIssues } from '../config/issues.js';
import { HELD_SPAN_BYTES, MIN_REQUEST_LIMIT_BYTES, heldMemoryBounds, sizeBudget } from './memory-budget.js';
import { memoryBudgetConfigOf } from './memory-guard.js';
import { Service } from './service.js';
import { nullLogger } from '../telemetry/logger.js';
import type { SystemMemory } from '../telemetry/process-memory.js';

const MiB = 1024 * 1024;
const pod: SystemMemory = { containerLimitBytes: 512 * MiB, containerLimitSource: 'cgroup', heapLimitBytes: 432 * MiB };

function cfg(over: Partial<MemoryBudgetConfig> = {}): MemoryBudgetConfig {
  return { ...defaultMemoryBudgetConfig(), ...over };
}

describe('memory budget sizing', () => {
  it.each([
    // name, config, system, held MiB, baseline MiB → total, soft, admission, waiting (MiB)
    ['the Deployment: 512Mi pod, 384 MiB old space', cfg(), pod, 88, 20, 409.6, 327.68, 219.68, 54.92],
    ['heap limit below 80 % of the pod caps the total', cfg(), { ...pod, containerLimitBytes: 1024 * MiB }, 88, 20, 432, 345.6, 237.6, 59.4],
    ['limit_mib / spike_limit_mib', cfg({ limitMiB: 300, spikeLimitMiB: 50 }), pod, 100, 20, 300, 250, 130, 32.5],
    ['limit_percentage / spike_limit_percentage', cfg({ limitPercentage: 50, spikeLimitPercentage: 10 }), pod, 0, 0, 256, 204.8, 204.8, 51.2],
    ['request_limit_mib / waiting_limit_mib set', cfg({ requestLimitMiB: 64, waitingLimitMiB: 8 }), pod, 88, 20, 409.6, 327.68, 64, 8],
  ])('%s', (_n, c, sys, heldMiB, baseMiB, total, soft, admission, waiting) => {
    const s = sizeBudget(c, sys, [{ component: 'q', bytes: heldMiB * MiB }], { rssBytes: baseMiB * MiB, liveBytes: (baseMiB * MiB) / 4 });
    expect(s.liveSoftLimitBytes).toBe(s.softLimitBytes - ((baseMiB * MiB * 3) / 4));
    const r = (b: number) => Math.round((b / MiB) * 100) / 100;
    expect([r(s.totalBytes), r(s.softLimitBytes), r(s.requestLimitBytes), r(s.waitingLimitBytes)]).toEqual([total, soft, admission, waiting]);
    expect(s.warnings).toEqual([]);
  });

  it('keeps a minimum for receivers and says why when queues take the whole budget', () => {
    const s = sizeBudget(cfg(), pod, [{ component: 'exporter/otlp', bytes: 400 * MiB }], { rssBytes: 20 * MiB, liveBytes: 5 * MiB });
    expect(s.requestLimitBytes).toBe(MIN_REQUEST_LIMIT_BYTES);
    expect(s.warnings.join()).toMatch(/leaves 0 MiB for receivers .* exporter\/otlp 400/);
  });

  it('warns when the V8 heap may outgrow the container', () => {
    const s = sizeBudget(cfg(), { containerLimitBytes: 512 * MiB, containerLimitSource: 'cgroup', heapLimitBytes: 4096 * MiB }, [], { rssBytes: 0, liveBytes: 0 });
    expect(s.totalBytes).toBe(Math.floor(409.6 * MiB));
    expect(s.warnings.join()).toMatch(/V8 heap limit \(4096 MiB\) is above the cgroup \(512 MiB\).*--max-old-space-size/);
  });

  it('reads what queues and batch buffers may hold from their config bounds', () => {
    const loaded = parseConfigText(`
receivers: { otlp: { protocols: { http: {} } } }
processors:
  batch: { send_batch_size: 1024 }
  batch/big: { send_batch_size: 100, send_batch_max_size: 5000 }
exporters:
  otlphttp: { endpoint: "http://x:4318", sending_queue: { queue_size_bytes: 32MiB } }
  otlp: { endpoint: "x:4317", sending_queue: { queue_size_spans: 1000 } }
  otlp/off: { endpoint: "x:4317", sending_queue: { enabled: false } }
  debug: {}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlphttp, otlp, otlp/off] }
    traces/2: { receivers: [otlp], processors: [batch, batch/big], exporters: [debug] }
`);
    expect(heldMemoryBounds(loaded)).toEqual([
      { component: 'exporter/otlphttp', bytes: 32 * MiB },
      { component: 'exporter/otlp', bytes: 1000 * HELD_SPAN_BYTES },
      { component: 'processor/batch (traces)', bytes: 4096 * HELD_SPAN_BYTES },
      { component: 'processor/batch (traces/2)', bytes: 4096 * HELD_SPAN_BYTES },
      { component: 'processor/batch/big (traces/2)', bytes: 5000 * HELD_SPAN_BYTES },
    ]);
  });

  it('takes its config from the enabled memory_limiter extension, else the defaults', () => {
    const base = `
receivers: { otlp: { protocols: { http: {} } } }
exporters: { debug: {} }
service:
  pipelines: { traces: { receivers: [otlp], exporters: [debug] } }
`;
    expect(memoryBudgetConfigOf(parseConfigText(base))).toEqual(defaultMemoryBudgetConfig());
    const withExt = parseConfigText(`${base}
extensions: { memory_limiter: { limit_mib: 300, request_limit_mib: 64, max_spans_per_request: 1000 } }
`.replace('service:\n', 'service:\n  extensions: [memory_limiter]\n'));
    expect(memoryBudgetConfigOf(withExt)).toMatchObject({ limitMiB: 300, spikeLimitMiB: 60, requestLimitMiB: 64, maxSpansPerRequest: 1000 });
  });
});

describe('memory_limiter extension config', () => {
  function parse(raw: unknown) {
    const issues = new ConfigIssues();
    const c = parseMemoryBudgetConfig(raw, 'extensions.memory_limiter', issues);
    return { c, errors: issues.errors.map((e) => `${e.path}: ${e.message}`) };
  }

  it('has usable defaults for every key (no key is required, unlike the processor)', () => {
    const { c, errors } = parse({});
    expect(errors).toEqual([]);
    expect(c).toEqual(defaultMemoryBudgetConfig());
    expect(c).toMatchObject({ limitPercentage: 80, spikeLimitPercentage: 16, maxSpansPerRequest: 50_000, checkIntervalMs: 1000 });
  });

  it.each([
    [{ limit_mib: 100, spike_limit_mib: 100 }, 'extensions.memory_limiter.spike_limit_mib: must be smaller than limit_mib'],
    [{ limit_percentage: 101 }, 'extensions.memory_limiter.limit_percentage: must be at most 100'],
    [{ request_limit_mib: -1 }, 'extensions.memory_limiter.request_limit_mib: must be at least 0, got -1'],
    [{ max_spans_per_request: 0 }, 'extensions.memory_limiter.max_spans_per_request: must be at least 1, got 0'],
    [{ check_interval: 0 }, 'extensions.memory_limiter.check_interval: must be greater than 0'],
    [{ waiting_limit: 5 }, 'extensions.memory_limiter: has invalid keys: waiting_limit'],
  ])('%j → %s', (raw, error) => {
    expect(parse(raw).errors.join('\n')).toContain(error);
  });
});

describe('the memory budget in a running service', () => {
  it('is sized before the receivers start, handed to them through the Host, and exported', async () => {
    const loaded = parseConfigText(`
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { batch: { send_batch_size: 1024 } }
exporters: { debug: {} }
extensions: { memory_limiter: { limit_mib: 1000, spike_limit_mib: 200, request_limit_mib: 64, waiting_limit_mib: 16, max_spans_per_request: 1234 } }
service:
  extensions: [memory_limiter]
  pipelines: { traces: { receivers: [otlp], processors: [batch], exporters: [debug] } }
`);
    const service = new Service(loaded, { logger: nullLogger(), serveMetrics: false });
    expect(service.host.admission).toBeUndefined();
    await service.start();
    try {
      const sizes = service.memoryBudget()!;
      expect(sizes).toMatchObject({ totalBytes: 1000 * MiB, softLimitBytes: 800 * MiB, requestLimitBytes: 64 * MiB, waitingLimitBytes: 16 * MiB, reservedBytes: 4096 * HELD_SPAN_BYTES });
      expect(sizes.baselineBytes).toBeGreaterThan(0);
      expect(service.host.admission).toMatchObject({ maxSpansPerRequest: 1234, requestLimitBytes: 64 * MiB });
      const text = await service.metrics.text();
      expect(text).toContain(`meshtrace_memory_budget_bytes{part="total"} ${1000 * MiB}`);
      expect(text).toContain(`meshtrace_memory_budget_bytes{part="admission"} ${64 * MiB}`);
      expect(text).toMatch(/meshtrace_admission_in_flight_bytes 0/);
    } finally {
      await service.shutdown(5000);
    }
  });
});
