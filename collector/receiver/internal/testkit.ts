/**
 * Small doubles for receiver tests: a consumer that records what it gets (or refuses as told),
 * a Host whose memory back-pressure can be switched on, and CreateSettings with fresh metrics.
 */
import type { CreateSettings, Host, TraceConsumer } from '../../component/component.js';
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
  readonly health = { state: 'ready' as const };
  readonly backpressure = {
    isRefusing: () => this.refusing,
    retryAfterSeconds: () => this.retryAfter,
  };
  getExtension(): undefined {
    return undefined;
  }
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
