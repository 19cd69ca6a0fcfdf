/**
 * Proxy-wasm metrics as Envoy implements them (source/extensions/common/wasm/context.cc
 * defineMetric / incrementMetric / recordMetric / getMetric; wasm.h metric ids):
 * - every proxy_define_metric returns a NEW id, even for a name already defined; the type is in
 *   the id's low two bits (counter 0, gauge 1, histogram 2) and ids step by 4; all ids of one
 *   (type, name) update the same stat;
 * - a counter increment must be > 0 (≤ 0 is BAD_ARGUMENT); a gauge increment may be negative;
 *   incrementing a histogram is BAD_ARGUMENT; recording adds to a counter, sets a gauge, and is
 *   a histogram sample; an id that was never defined is NOT_FOUND;
 * - reading a histogram is BAD_ARGUMENT.
 */
export const METRIC_TYPES = ['counter', 'gauge', 'histogram'] as const;
export type MetricTypeName = (typeof METRIC_TYPES)[number];

export interface MetricRecord { name: string; type: MetricTypeName; value: bigint; samples: bigint[] }

export type MetricStatus = 'ok' | 'not_found' | 'bad_argument';

const TYPE_MASK = 0x3;
const ID_INCREMENT = 0x4;

export class MetricStore {
  /** One stat per (type, name). */
  private readonly stats = new Map<string, MetricRecord>();
  private readonly byId = new Map<number, MetricRecord>();
  private readonly nextId = [0, 1, 2];

  /** Returns the new id, or null for an unknown metric type. */
  define(type: number, name: string): number | null {
    const typeName = METRIC_TYPES[type];
    if (typeName === undefined) return null;
    const key = `${type}\0${name}`;
    let stat = this.stats.get(key);
    if (!stat) {
      stat = { name, type: typeName, value: 0n, samples: [] };
      this.stats.set(key, stat);
    }
    const id = (this.nextId[type]! += ID_INCREMENT);
    this.byId.set(id, stat);
    return id;
  }

  increment(id: number, offset: bigint): MetricStatus {
    const type = id & TYPE_MASK;
    if (type === 2 || type === 3) return 'bad_argument';
    const stat = this.byId.get(id);
    if (!stat) return 'not_found';
    if (stat.type === 'counter' && offset <= 0n) return 'bad_argument';
    stat.value += offset;
    return 'ok';
  }

  record(id: number, value: bigint): MetricStatus {
    const stat = this.byId.get(id);
    if (!stat) return 'not_found';
    const v = BigInt.asUintN(64, value);
    if (stat.type === 'counter') stat.value += v;
    else if (stat.type === 'gauge') stat.value = v;
    else stat.samples.push(v);
    return 'ok';
  }

  get(id: number): { status: MetricStatus; value: bigint } {
    const type = id & TYPE_MASK;
    if (type === 2 || type === 3) return { status: 'bad_argument', value: 0n };
    const stat = this.byId.get(id);
    return stat ? { status: 'ok', value: stat.value } : { status: 'not_found', value: 0n };
  }

  /** The stat a module defined under `name` (counters first, then gauges, then histograms). */
  byName(name: string): MetricRecord | undefined {
    for (let t = 0; t < METRIC_TYPES.length; t++) {
      const s = this.stats.get(`${t}\0${name}`);
      if (s) return s;
    }
    return undefined;
  }

  all(): MetricRecord[] {
    return [...this.stats.values()];
  }

  /** How many ids were handed out (each define_metric call is one). */
  get idCount(): number {
    return this.byId.size;
  }
}
