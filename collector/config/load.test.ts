import { describe, expect, it } from 'vitest';
import { builtinFactories } from '../components.js';
import { fakeAuthExtensionFactory, fakeReceiverFactory, recordingExporterFactory } from '../service/testkit.js';
import { ConfigError } from './issues.js';
import { mergeConfigs, parseConfigText, parseConfigTexts } from './load.js';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { loadConfigFile } from './load.js';

const factories = [...builtinFactories, fakeReceiverFactory, recordingExporterFactory, fakeAuthExtensionFactory];

function load(text: string, env: Record<string, string> = {}) {
  return parseConfigText(text, env, { factories });
}

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    load(text, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = `
receivers: { fake: {} }
exporters: { debug: {} }
service:
  pipelines:
    traces: { receivers: [fake], exporters: [debug] }
`;

describe('parseConfigText', () => {
  it('loads a minimal config with defaults', () => {
    const cfg = load(MINIMAL);
    expect([...cfg.receivers.keys()]).toEqual(['fake']);
    expect(cfg.exporters.get('debug')?.config).toEqual({ verbosity: 'basic', samplingInitial: 2, samplingThereafter: 1, useInternalLogger: true });
    expect(cfg.service.pipelines).toEqual([{ id: 'traces', receivers: ['fake'], processors: [], exporters: ['debug'] }]);
    expect(cfg.service.telemetry).toEqual({ logs: { level: 'info' }, metrics: { level: 'normal', endpoint: 'localhost:8888' } });
    expect(cfg.warnings).toEqual([]);
  });

  it('resolves named components and several pipelines', () => {
    const cfg = load(`
receivers: { fake: {}, fake/2: { label: x } }
processors: { batch: {}, batch/fast: { timeout: 10ms } }
exporters: { debug: {}, file/a: { path: /tmp/x.json } }
service:
  pipelines:
    traces: { receivers: [fake], processors: [batch], exporters: [debug] }
    traces/b: { receivers: [fake, fake/2], processors: [batch/fast], exporters: [debug, file/a] }
`);
    expect(cfg.receivers.get('fake/2')).toMatchObject({ type: 'fake', name: '2', config: { label: 'x' } });
    expect(cfg.processors.get('batch/fast')?.config).toEqual({ sendBatchSize: 8192, sendBatchMaxSize: 0, timeoutMs: 10 });
    expect(cfg.service.pipelines.map((p) => p.id)).toEqual(['traces', 'traces/b']);
  });

  it('accepts logging as the old name of debug, with loglevel mapped and warned', () => {
    const cfg = load(`
receivers: { fake: {} }
exporters: { logging: { loglevel: debug } }
service: { pipelines: { traces: { receivers: [fake], exporters: [logging] } } }
`);
    expect(cfg.exporters.get('logging')).toMatchObject({ type: 'debug', config: { verbosity: 'detailed' } });
    expect(cfg.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'exporters.logging: "logging" is the old name of the "debug" exporter; accepted, please rename it to "debug"',
      "exporters.logging.loglevel: deprecated option, use 'verbosity' (debug → detailed, info → normal, warn/error → basic)",
    ]);
  });

  it('skips logs and metrics pipelines with a warning, and ignores components only they use', () => {
    const cfg = load(`
receivers: { fake: {}, filelog: { include: [/var/log/*.log] } }
exporters: { debug: {}, prometheus: { endpoint: "0.0.0.0:8889" } }
service:
  pipelines:
    traces: { receivers: [fake], exporters: [debug] }
    logs: { receivers: [filelog], exporters: [debug] }
    metrics/x: { receivers: [fake], exporters: [prometheus] }
`);
    expect(cfg.service.pipelines.map((p) => p.id)).toEqual(['traces']);
    expect(cfg.warnings.map((w) => w.path).sort()).toEqual(
      ['exporters.prometheus', 'receivers.filelog', 'service.pipelines.logs', 'service.pipelines.metrics/x'].sort(),
    );
    expect(cfg.receivers.has('filelog')).toBe(false);
  });

  it('lists every problem by path at once', () => {
    expect(
      problems(`
receivers:
  fake: { labl: 1 }
  jaeger: {}
processors:
  batch: { timeout: 5, send_batch_size: 100, send_batch_max_size: 10 }
  memory_limiter: { limit_mib: 10 }
exporters:
  debug: { verbosity: loud }
  file: {}
  kafka: {}
extensions:
  health_check: { endpoint: "localhost" }
service:
  extensions: [health_check, pprof]
  pipelines:
    traces:
      receivers: [fake, jaeger, zipkin]
      processors: [batch, batch, memory_limiter]
      exporters: [debug, file, kafka]
    traces/2: { receivers: [], exporters: [] }
    spans: { receivers: [fake], exporters: [debug] }
  telemetry:
    logs: { level: loud }
    metrics: { address: "8888" }
`),
    ).toEqual([
      'receivers.fake: has invalid keys: labl (valid keys: label)',
      'receivers.jaeger: unsupported receiver type "jaeger" (supported: ' +
        factories.filter((f) => f.kind === 'receiver').map((f) => f.type).sort().join(', ') + ')',
      'processors.batch.timeout: expected a duration like 200ms, 5s or 1m, got 5',
      'processors.batch.send_batch_max_size: must be greater or equal to send_batch_size',
      'processors.memory_limiter.check_interval: must be greater than zero',
      'exporters.debug.verbosity: expected one of basic, normal, detailed, got "loud"',
      'exporters.file.path: path must be non-empty',
      'exporters.kafka: unsupported exporter type "kafka" (supported: ' +
        factories.filter((f) => f.kind === 'exporter').map((f) => f.type).sort().join(', ') + ')',
      'extensions.health_check.endpoint: expected host:port, got "localhost"',
      'service.pipelines.spans: unknown pipeline type "spans" (expected traces, metrics, logs or profiles)',
      'service.telemetry.logs.level: expected one of debug, info, warn, error, dpanic, panic, fatal, got "loud"',
      'service.telemetry.metrics.address: expected host:port, got "8888"',
      'service.extensions[1]: references extension "pprof" which is not configured',
      'service.pipelines.traces.receivers[2]: references receiver "zipkin" which is not configured',
      'service.pipelines.traces.processors[1]: references processor "batch" more than once',
      'service.pipelines.traces/2: must have at least one receiver',
      'service.pipelines.traces/2: must have at least one exporter',
    ]);
  });

  it.each([
    ['top-level typo', `${MINIMAL}\nrecievers: {}`, 'config: has invalid keys: recievers (valid keys: receivers, processors, exporters, extensions, service, connectors)'],
    ['bad component id', `${MINIMAL.replace('receivers: { fake: {} }', 'receivers: { fake: {}, "fa ke": {} }')}`, 'receivers.fa ke: invalid component type "fa ke": must start with a letter and contain only letters, digits and _'],
    ['empty name', MINIMAL.replace('exporters: { debug: {} }', 'exporters: { debug: {}, "debug/": {} }'), 'exporters.debug/: invalid component name "" in "debug/": must be non-empty, without spaces or /'],
    ['no pipelines', 'receivers: { fake: {} }\nexporters: { debug: {} }', 'service.pipelines: no traces pipeline configured (this collector handles traces)'],
    ['connectors', `${MINIMAL}\nconnectors: { spanmetrics: {} }`, 'connectors: connectors are not supported by this collector'],
    ['section is a list', `${MINIMAL}\nprocessors: [batch]`, 'processors: expected a mapping of component IDs, got a list'],
    ['yaml syntax', 'receivers: {fake: {}\n  bad', 'config: YAML syntax error:'],
    ['duplicate keys', 'receivers: {}\nreceivers: {}', 'config: YAML syntax error: Map keys must be unique'],
    ['unsupported provider', MINIMAL.replace('debug: {}', 'debug: { verbosity: "${file:/x}" }'), 'exporters.debug.verbosity: unsupported config provider scheme "file" in ${file:/x} (only env is supported)'],
    ['periodic reader', `${MINIMAL}  telemetry: { metrics: { readers: [ { periodic: { exporter: { otlp: {} } } } ] } }`, 'service.telemetry.metrics.readers[0].periodic: periodic (push) metric readers are not supported; use a pull prometheus reader'],
  ])('%s', (_name, text, msg) => {
    const got = problems(text);
    expect(got.some((g) => g.startsWith(msg))).toBe(true);
  });

  it('substitutes ${env:...} before validation, with typed whole values', () => {
    const cfg = load(
      `
receivers: { fake: { label: "\${env:LABEL}" } }
processors: { batch: { send_batch_size: "\${env:SIZE}", timeout: "\${env:TIMEOUT:-1s}" } }
exporters: { debug: {} }
service:
  pipelines: { traces: { receivers: [fake], processors: [batch], exporters: [debug] } }
  telemetry: { metrics: { address: "\${env:MHOST:-127.0.0.1}:\${env:MPORT}" } }
`,
      { LABEL: '007', SIZE: '100', MPORT: '9999' },
    );
    expect(cfg.receivers.get('fake')?.config).toEqual({ label: '007' });
    expect(cfg.processors.get('batch')?.config).toMatchObject({ sendBatchSize: 100, timeoutMs: 1000 });
    expect(cfg.service.telemetry.metrics.endpoint).toBe('127.0.0.1:9999');
  });

  it('reports a variable that expands to a bad value at its path', () => {
    expect(problems(MINIMAL.replace('debug: {}', 'debug: { sampling_initial: "${env:N}" }'), { N: 'many' })).toEqual([
      'exporters.debug.sampling_initial: expected an integer, got "many"',
    ]);
  });

  it('reads the newer readers form and the deprecated address form of the metrics endpoint', () => {
    const readers = load(`${MINIMAL}  telemetry:\n    metrics:\n      readers:\n        - pull: { exporter: { prometheus: { host: 0.0.0.0, port: 9090 } } }\n`);
    expect(readers.service.telemetry.metrics.endpoint).toBe('0.0.0.0:9090');
    expect(readers.warnings).toEqual([]);
    const address = load(`${MINIMAL}  telemetry: { metrics: { address: "127.0.0.1:7777" } }\n`);
    expect(address.service.telemetry.metrics.endpoint).toBe('127.0.0.1:7777');
    expect(address.warnings.map((w) => w.path)).toEqual(['service.telemetry.metrics.address']);
    const none = load(`${MINIMAL}  telemetry: { metrics: { level: none } }\n`);
    expect(none.service.telemetry.metrics.endpoint).toBeNull();
  });

  it('address and readers together: readers wins, both are reported', () => {
    const both = load(`${MINIMAL}  telemetry:\n    metrics:\n      address: 127.0.0.1:7777\n      readers:\n        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: 9090 } } }\n`);
    expect(both.service.telemetry.metrics.endpoint).toBe('127.0.0.1:9090');
    expect(both.warnings.map((w) => w.path)).toEqual(['service.telemetry.metrics.address', 'service.telemetry.metrics.address']);
    expect(both.warnings[1]!.message).toMatch(/readers' is set and wins/);
  });

  it('loads a 0.5x-0.9x era config unchanged, with one warning per deprecated key', () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, 'testdata/otelcol-0.5x.yaml'), 'utf8');
    const cfg = parseConfigText(text, {});
    expect(cfg.warnings.map((w) => w.path)).toEqual([
      'processors.memory_limiter.ballast_size_mib',
      'exporters.logging',
      'exporters.logging.loglevel',
      'extensions.health_check.port',
      'extensions.memory_ballast',
      'service.telemetry.metrics.address',
    ]);
    expect(cfg.extensions.get('health_check')!.config).toMatchObject({ endpoint: ':13133' });
    expect(cfg.service.extensions).toEqual(['health_check']); // the retired ballast is not started
    expect(cfg.service.telemetry.metrics.endpoint).toBe('0.0.0.0:8888');
    expect(cfg.exporters.get('logging')!.config).toMatchObject({ verbosity: 'detailed' });
  });

  it('a retired extension is still a defined id, and an unknown one is still an error', () => {
    const cfg = load(`${MINIMAL}extensions: { memory_ballast/x: {} }\n`.replace('service:', 'service:\n  extensions: [memory_ballast/x]'));
    expect(cfg.service.extensions).toEqual([]);
    expect(cfg.warnings.map((w) => w.path)).toEqual(['extensions.memory_ballast/x']);
    expect(problems(`${MINIMAL}extensions: { memory_balast: {} }\n`.replace('service:', 'service:\n  extensions: [memory_balast]')))
      .toEqual([expect.stringMatching(/^extensions\.memory_balast: unsupported extension type "memory_balast"/)]);
  });

  it('supports YAML anchors and << merge keys like go-yaml', () => {
    const cfg = load(`
receivers: { fake: {} }
processors:
  batch/a: &common { send_batch_size: 10, timeout: 1s }
  batch/b: { <<: *common, timeout: 2s }
exporters: { debug: {} }
service: { pipelines: { traces: { receivers: [fake], processors: [batch/a, batch/b], exporters: [debug] } } }
`);
    expect(cfg.processors.get('batch/a')?.config).toMatchObject({ sendBatchSize: 10, timeoutMs: 1000 });
    expect(cfg.processors.get('batch/b')?.config).toMatchObject({ sendBatchSize: 10, timeoutMs: 2000 });
  });

  it('maps the Collector log levels', () => {
    expect(load(`${MINIMAL}  telemetry: { logs: { level: panic, encoding: console } }\n`).service.telemetry.logs.level).toBe('fatal');
  });
});

describe('merging several files', () => {
  it('merges mappings key by key, later wins, lists replaced', () => {
    expect(mergeConfigs([{ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 } }, undefined])).toEqual({ a: { b: 1, c: [3], e: 2 }, d: 1 });
  });
  it('a second file overrides an exporter setting and adds a pipeline', () => {
    const cfg = parseConfigTexts(
      [
        { text: MINIMAL, source: 'a.yaml' },
        { text: 'exporters: { debug: { verbosity: detailed } }\nservice: { pipelines: { traces/2: { receivers: [fake], exporters: [debug] } } }', source: 'b.yaml' },
      ],
      {},
      { factories },
    );
    expect(cfg.exporters.get('debug')?.config).toMatchObject({ verbosity: 'detailed' });
    expect(cfg.service.pipelines.map((p) => p.id)).toEqual(['traces', 'traces/2']);
  });
  it('names the file in YAML errors and missing files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-load-'));
    const f = path.join(dir, 'c.yaml');
    fs.writeFileSync(f, MINIMAL);
    await expect(loadConfigFile(f, {}, { factories })).resolves.toBeDefined();
    await expect(loadConfigFile(path.join(dir, 'nope.yaml'))).rejects.toThrow(/nope\.yaml: cannot read config file/);
  });
});

describe('the embedded default config', () => {
  it('names the otlp and zipkin receivers, memory_limiter, istio, reparent, batch, debug and health_check on 127.0.0.1', () => {
    const text = fs.readFileSync(new URL('./default.yaml', import.meta.url), 'utf8');
    expect(text).toMatch(/endpoint: 127\.0\.0\.1:4317/);
    expect(text).toMatch(/endpoint: 127\.0\.0\.1:4318/);
    expect(text).toMatch(/endpoint: 127\.0\.0\.1:9411/);
    expect(text).toMatch(/endpoint: 127\.0\.0\.1:13133/);
    expect(text).toMatch(/processors: \[memory_limiter, istio, reparent, batch\]/);
    const registered = new Set(builtinFactories.map((f) => f.type));
    if (registered.has('otlp') && builtinFactories.some((f) => f.kind === 'receiver' && f.type === 'zipkin')) {
      const cfg = parseConfigText(text, {});
      expect(cfg.service.telemetry.metrics.endpoint).toBe('127.0.0.1:8888');
      expect(cfg.warnings).toEqual([]);
    }
  });
});

describe('extension references (auth.authenticator, sending_queue.storage)', () => {
  const withRefs = (exporter: string, extensions: string, enabled: string) => `
receivers: { fake: {} }
exporters: { recording: ${exporter} }
extensions: ${extensions}
service:
  extensions: ${enabled}
  pipelines:
    traces: { receivers: [fake], exporters: [recording] }
`;

  it('accepts a reference to an enabled extension of the right capability', () => {
    const cfg = load(withRefs('{ auth: { authenticator: fakeauth/a } }', '{ fakeauth/a: {} }', '[fakeauth/a]'));
    expect(cfg.exporters.get('recording')?.config).toEqual({ auth: 'fakeauth/a' });
  });

  it.each([
    ['a missing extension', '{ auth: { authenticator: nope } }', '{ fakeauth: {} }', '[fakeauth]',
      'exporters.recording.auth.authenticator: references extension "nope" which is not configured'],
    ['an extension not enabled in service.extensions', '{ auth: { authenticator: fakeauth } }', '{ fakeauth: {} }', '[]',
      'exporters.recording.auth.authenticator: references extension "fakeauth" which is not enabled: add it to service.extensions'],
    ['an extension without the capability', '{ auth: { authenticator: health_check } }', '{ health_check: {} }', '[health_check]',
      'exporters.recording.auth.authenticator: extension "health_check" (type health_check) is not an authenticator (client auth) extension'],
    ['a storage reference to an authenticator', '{ storage: fakeauth }', '{ fakeauth: {} }', '[fakeauth]',
      'exporters.recording.storage: extension "fakeauth" (type fakeauth) is not a storage extension'],
  ])('refuses %s, naming the path', (_name, exporter, extensions, enabled, message) => {
    expect(problems(withRefs(exporter, extensions, enabled))).toEqual([message]);
  });
});
