/**
 * The Host the service hands to every component: the collector's health state (read by
 * health_check), memory back-pressure (set by memory_limiter and by the memory budget's
 * background check, read by receivers, which refuse retryably before decoding while it is on),
 * and the receivers' admission control (the memory budget, memory-budget.ts / admission.ts).
 */
import type { Admission } from '../component/admission.js';
import type { Extension, Host } from '../component/component.js';
import type { BackpressureControl } from '../processor/memorylimiterprocessor/processor.js';

export type HealthState = 'starting' | 'ready' | 'stopping';

export class Backpressure implements BackpressureControl {
  private readonly sources = new Map<string, number>();

  setRefusing(source: string, refusing: boolean, retryAfterSeconds: number): void {
    if (refusing) this.sources.set(source, Math.max(1, retryAfterSeconds));
    else this.sources.delete(source);
  }

  isRefusing(): boolean {
    return this.sources.size > 0;
  }

  retryAfterSeconds(): number {
    let s = 0;
    for (const v of this.sources.values()) s = Math.max(s, v);
    return s > 0 ? s : 1;
  }
}

export class ServiceHost implements Host {
  readonly health: { state: HealthState } = { state: 'starting' };
  readonly backpressure = new Backpressure();
  admission: Admission | undefined;
  private readonly extensions = new Map<string, Extension>();

  addExtension(id: string, ext: Extension): void {
    this.extensions.set(id, ext);
  }

  getExtension(id: string): Extension | undefined {
    return this.extensions.get(id);
  }

  setState(state: HealthState): void {
    this.health.state = state;
  }
}
