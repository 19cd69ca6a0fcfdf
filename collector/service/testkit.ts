/**
 * Test doubles for the service and config tests: a receiver whose consumer the test drives, and
 * an exporter that records what it gets and can refuse on demand. Not registered in components.ts.
 */
import type { Extension, ExtensionRef, Factory, Host, TraceConsumer, TracesExporter, TracesReceiver } from '../component/component.js';
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
  /** The extensions named by `auth.authenticator` / `storage`, as resolved through the host at start. */
  resolved: { auth?: Extension; storage?: Extension } = {};
  /** Refuse the next N calls with this error. */
  refuse: { times: number; error: ConsumerError } | undefined;
  capacity = Infinity;
  /** Delay each consume (simulates a slow sync exporter). */
  delayMs = 0;
  constructor(
    readonly id: string,
    private readonly cfg: RecordingExporterConfig = {},
  ) {
    RecordingExporter.instances.set(id, this);
  }
  get spans(): number {
    return this.received.reduce((n, td) => n + spanCount(td), 0);
  }
  async start(host: Host): Promise<void> {
    if (this.cfg.auth) this.resolved.auth = host.getExtension(this.cfg.auth);
    if (this.cfg.storage) this.resolved.storage = host.getExtension(this.cfg.storage);
  }
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

export interface RecordingExporterConfig {
  auth?: string;
  storage?: string;
}

/** `recording` exporter; `auth: { authenticator: ID }` and `storage: ID` reference extensions as real exporters do. */
export const recordingExporterFactory: Factory<RecordingExporterConfig, RecordingExporter> = {
  kind: 'exporter',
  type: 'recording',
  parseConfig(raw: unknown, path: string, issues: ConfigIssues) {
    const o = readObject(raw, path, issues, ['auth', 'storage']);
    const auth = readObject(o.auth, join(path, 'auth'), issues, ['authenticator']);
    const cfg: RecordingExporterConfig = {};
    if (auth.authenticator !== undefined) cfg.auth = readString(auth.authenticator, join(path, 'auth.authenticator'), issues, '');
    if (o.storage !== undefined) cfg.storage = readString(o.storage, join(path, 'storage'), issues, '');
    return cfg;
  },
  extensionRefs(cfg, path) {
    const refs: ExtensionRef[] = [];
    if (cfg.auth) refs.push({ path: join(path, 'auth.authenticator'), id: cfg.auth, capability: 'client_auth' });
    if (cfg.storage) refs.push({ path: join(path, 'storage'), id: cfg.storage, capability: 'storage' });
    return refs;
  },
  create(cfg, settings) {
    return new RecordingExporter(settings.id, cfg);
  },
};

/** An extension that does nothing but offer `client_auth` (type `fakeauth`), for reference checks. */
export class FakeExtension implements Extension {
  started = false;
  async start(): Promise<void> {
    this.started = true;
  }
  async shutdown(): Promise<void> {}
}

export const fakeAuthExtensionFactory: Factory<Record<string, never>, FakeExtension> = {
  kind: 'extension',
  type: 'fakeauth',
  capabilities: ['client_auth'],
  parseConfig(raw: unknown, path: string, issues: ConfigIssues) {
    readObject(raw, path, issues, []);
    return {};
  },
  create() {
    return new FakeExtension();
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
