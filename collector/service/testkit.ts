/**
 * Test doubles for the service and config tests: a receiver whose consumer the test drives, and
 * an exporter that records what it gets and can refuse on demand. Not registered in components.ts.
 */
import type { Factory, Host, TraceConsumer, TracesExporter, TracesReceiver } from '../component/component.js';
import { ConsumerError } from '../component/consumer-error.js';
import type { ConfigIssues } from '../config/issues.js';
import { join, readObject, readString } from '../config/validate.js';
import { spanCount, type TraceData } from '../pdata/model.js';

export class FakeReceiver implements TracesReceiver {
  static instances = new Map<string, FakeReceiver>();
  started = false;
  stopped = false;
  constructor(
    readonly id: string,
    readonly next: TraceConsumer,
  ) {
    FakeReceiver.instances.set(id, this);
  }
  async start(_host: Host): Promise<void> {
    this.started = true;
  }
  async shutdown(): Promise<void> {
    this.stopped = true;
  }
  send(td: TraceData): Promise<void> {
    if (this.stopped) return Promise.reject(ConsumerError.retryable('stopped', 'shutting_down'));
    return this.next.consumeTraces(td);
  }
}

export const fakeReceiverFactory: Factory<{ label: string }, FakeReceiver> = {
  kind: 'receiver',
  type: 'fake',
  aliases: ['fake_old'],
  parseConfig(raw: unknown, path: string, issues: ConfigIssues) {
    const o = readObject(raw, path, issues, ['label']);
    return { label: readString(o.label, join(path, 'label'), issues, '') };
  },
  create(_cfg, settings, next) {
    return new FakeReceiver(settings.id, next!);
  },
};

export class RecordingExporter implements TracesExporter {
  static instances = new Map<string, RecordingExporter>();
  received: TraceData[] = [];
  /** Refuse the next N calls with this error. */
  refuse: { times: number; error: ConsumerError } | undefined;
  capacity = Infinity;
  /** Delay each consume (simulates a slow sync exporter). */
  delayMs = 0;
  constructor(readonly id: string) {
    RecordingExporter.instances.set(id, this);
  }
  get spans(): number {
    return this.received.reduce((n, td) => n + spanCount(td), 0);
  }
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  hasCapacity(n: number): boolean {
    return n <= this.capacity;
  }
  async consumeTraces(td: TraceData): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.refuse && this.refuse.times > 0) {
      this.refuse.times--;
      throw this.refuse.error;
    }
    this.received.push(td);
  }
}

export const recordingExporterFactory: Factory<Record<string, never>, RecordingExporter> = {
  kind: 'exporter',
  type: 'recording',
  parseConfig(raw: unknown, path: string, issues: ConfigIssues) {
    readObject(raw, path, issues, []);
    return {};
  },
  create(_cfg, settings) {
    return new RecordingExporter(settings.id);
  },
};

/** A TraceData with `n` spans (one resource, one scope) for tests. */
export function makeTraces(n: number, service = 'svc', startId = 0): TraceData {
  const spans = [];
  for (let i = 0; i < n; i++) {
    const id = startId + i;
    const spanId = Buffer.alloc(8);
    spanId.writeUInt32BE(id + 1, 4);
    const traceId = Buffer.alloc(16);
    traceId.writeUInt32BE(0xabc, 0);
    traceId.writeUInt32BE(id + 1, 12);
    spans.push({
      traceId,
      spanId,
      name: `span-${id}`,
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_000 + id,
      endTimeUnixNano: 1_700_000_000_001_000_000 + id,
      attributes: [{ key: 'i', value: { intValue: id } }],
    });
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}
