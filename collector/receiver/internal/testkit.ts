/**
 * Small doubles for receiver tests: a consumer that records what it gets (or refuses as told),
 * a Host whose memory back-pressure can be switched on and which can carry a real admission
 * controller, and CreateSettings with fresh metrics.
 */
import type { Admission } from '../../component/admission.js';
import type { CreateSettings, Host, TraceConsumer } from '../../component/component.js';
import { AdmissionController, type AdmissionLimits } from '../../service/admission.js';
import type { TraceData } from '../../pdata/model.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { nullLogger } from '../../telemetry/logger.js';

export class CapturingConsumer implements TraceConsumer {
  readonly received: TraceData[] = [];
  /** When set, the next calls reject with this error (and record nothing). */
  refuseWith?: Error;
  /** Refuse only this many times, then accept again (undefined: every time while set). */
  refuseTimes?: number;

  async consumeTraces(td: TraceData): Promise<void> {
    if (this.refuseWith && (this.refuseTimes === undefined || this.refuseTimes > 0)) {
      if (this.refuseTimes !== undefined) this.refuseTimes--;
      throw this.refuseWith;
    }
    this.received.push(td);
  }
}

export class TestHost implements Host {
  refusing = false;
  retryAfter = 2;
  /** The memory budget's admission control; unset = nothing limited. */
  admission?: Admission;
  readonly health = { state: 'ready' as const };
  readonly backpressure = {
    isRefusing: () => this.refusing,
    retryAfterSeconds: () => this.retryAfter,
  };
  getExtension(): undefined {
    return undefined;
  }
}

/** A real admission controller with small limits and a live-memory probe the test controls. */
export function testAdmission(limits: Partial<AdmissionLimits> = {}, liveMemory = () => 0): AdmissionController {
  return new AdmissionController(
    {
      requestLimitBytes: 64 * 1024 * 1024,
      waitingLimitBytes: 16 * 1024 * 1024,
      softLimitBytes: Number.MAX_SAFE_INTEGER,
      hardLimitBytes: Number.MAX_SAFE_INTEGER,
      maxSpansPerRequest: 50_000,
      minGcIntervalSoftMs: 10_000,
      minGcIntervalHardMs: 1_000,
      ...limits,
    },
    { liveMemory },
  );
}

export function testSettings(id: string): CreateSettings {
  return { id, logger: nullLogger(), metrics: new CollectorMetrics() };
}

/** Sum of a counter's values matching the labels given. */
export async function counterValue(
  settings: CreateSettings,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = await settings.metrics.registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  let sum = 0;
  for (const v of m.values) {
    if (Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)) sum += v.value;
  }
  return sum;
}
