/**
 * Collector throughput benchmark (issue 4, "Performance"): `npm run bench:collector`.
 *
 *  1. ceiling   — protobufjs decode + encode of the same OTLP request in this process: the most a
 *                 collector that decodes once and encodes once could do per core.
 *  2. istio     — the istio processor alone (each request decoded just before, untimed), against
 *                 a no-op loop that visits the same spans and attributes; the reparent processor
 *                 alone the same way (istio applied untimed before it), also with 10,000 trace
 *                 aliases known (the spans are of other traces: the per-span alias lookup), and
 *                 an older build of it with --reparent-before DIST (e.g. a dist/ of the previous
 *                 commit) in the same rounds; and decode + istio + encode against the ceiling.
 *                 In-process rates are per CPU second of this process.
 *  3. end to end — the real collector (`dist/collector/cli.js`) as a child process pinned to one
 *                 core (`taskset -c 1`), OTLP/HTTP protobuf in → istio + batch → exporter (`debug`
 *                 basic as a null sink, then `file`), driven over 127.0.0.1 by this process pinned
 *                 to the other core: pre-encoded requests of 100 Envoy-shaped spans × 22
 *                 attributes, keep-alive, several requests in flight. Spans/s per core = spans
 *                 acknowledged ÷ collector CPU seconds (user + system, /proc) in the window, so the
 *                 figure holds on a shared machine; wall-clock rate and peak RSS (VmHWM) beside it.
 *
 * Options: --seconds N (end-to-end window, default 8), --concurrency N (default 8),
 * --spans N (per request, default 100), --sinks debug,file, --rounds N (in-process rounds, default 6),
 * --skip-e2e, --profile DIR (V8 CPU profile of the collector per sink), --node-flags='--flag ...'
 * (node options for the collector, e.g. GC tuning), --istio-config JSON (processor config overrides
 * for the in-process figures, to see the cost of each rule), --batch-config '{send_batch_size: 1024}',
 * --reparent-before DIST (the dist/ folder of an older build whose reparent processor runs beside).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyValue, Span, TraceData } from '../collector/pdata/model.js';
import { SpanKind } from '../collector/pdata/model.js';
import { decodeTraceRequest, encodeTraceRequest } from '../collector/pdata/otlp-proto.js';
import { defaultIstioProcessorConfig, type IstioProcessorConfig } from '../collector/processor/istioprocessor/config.js';
import { IstioProcessor } from '../collector/processor/istioprocessor/processor.js';
import { defaultReparentConfig } from '../collector/processor/reparentprocessor/config.js';
import { ReparentProcessor } from '../collector/processor/reparentprocessor/processor.js';
import { nullLogger } from '../collector/telemetry/logger.js';
import { CollectorMetrics } from '../collector/telemetry/metrics.js';

// ---- options ---------------------------------------------------------------------------------

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const E2E_SECONDS = Number(arg('seconds', '8'));
const CONCURRENCY = Number(arg('concurrency', '8'));
const SPANS_PER_REQUEST = Number(arg('spans', '100'));
const SINKS = arg('sinks', 'debug,file').split(',').filter(Boolean);
const SKIP_E2E = process.argv.includes('--skip-e2e');
/** Overrides of the istio processor's config for the in-process figures, e.g. '{"set_peer_service":false}'. */
/** The batch processor's config in the end-to-end runs (YAML flow / JSON), default `{}`: the Collector's defaults. */
const BATCH_CONFIG = arg('batch-config', '{}');
const ISTIO_OVERRIDES = JSON.parse(arg('istio-config', '{}')) as Partial<IstioProcessorConfig>;
/** Writes a V8 CPU profile of the collector (per sink) into this folder, to find its hot paths. */
const PROFILE_DIR = arg('profile', '');
/** Extra node flags for the collector, e.g. --node-flags=--max-semi-space-size=64 (GC tuning experiments). */
const NODE_FLAGS = (process.argv.find((a) => a.startsWith('--node-flags='))?.slice('--node-flags='.length) ?? '').split(' ').filter(Boolean);
const WARMUP_SECONDS = 2;
const IN_PROCESS_ROUNDS = Number(arg('rounds', '6'));
const REPARENT_BEFORE = arg('reparent-before', '');
/** Trace aliases the processor knows in the "aliases known" variant (none of the measured spans' traces). */
const KNOWN_ALIASES = 10_000;

// ---- Envoy-shaped payloads -------------------------------------------------------------------

const WORKLOADS = [
  { app: 'productpage', ns: 'bookinfo', ip: '10.244.0.25', calls: ['reviews', 'details'] },
  { app: 'reviews', ns: 'bookinfo', ip: '10.244.0.23', calls: ['ratings'] },
  { app: 'ratings', ns: 'bookinfo', ip: '10.244.0.22', calls: ['mongodb'] },
  { app: 'checkout', ns: 'shop', ip: '10.244.1.17', calls: ['payments', 'inventory', 'shipping'] },
];

const str = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });

/** One span as istio-proxy's tracer writes it: ~21 string tags, kind CLIENT (the Zipkin-era bug). */
function envoySpan(w: (typeof WORKLOADS)[number], i: number, t0: number): Span {
  const inbound = i % 3 === 0;
  const callee = w.calls[i % w.calls.length];
  const cluster = inbound ? 'inbound|9080||' : `outbound|9080|${i % 2 ? 'v1' : ''}|${callee}.${w.ns}.svc.cluster.local`;
  const status = i % 17 === 0 ? '503' : '200';
  const start = t0 + i * 1_000_000;
  const attributes: KeyValue[] = [
    str('node_id', `sidecar~${w.ip}~${w.app}-v1-6f89b6c557-sg2bc.${w.ns}~${w.ns}.svc.cluster.local`),
    str('zone', 'eu-west-1a'),
    str('guid:x-request-id', crypto.randomUUID()),
    str('http.url', inbound ? `http://${w.app}:9080/api/v1/items/${i}` : `http://${callee}:9080/api/v1/items/${i}`),
    str('http.method', i % 5 === 0 ? 'POST' : 'GET'),
    str('http.protocol', 'HTTP/1.1'),
    str('downstream_cluster', '-'),
    str('user_agent', 'Go-http-client/1.1'),
    str('request_size', String(i % 7 === 0 ? 512 : 0)),
    str('response_size', String(1000 + i * 13)),
    str('component', 'proxy'),
    str('upstream_cluster', cluster),
    str('upstream_cluster.name', cluster),
    str('http.status_code', status),
    str('response_flags', status === '503' ? 'UF' : '-'),
    str('peer.address', inbound ? '10.244.0.14' : w.ip),
    str('istio.canonical_service', w.app),
    str('istio.canonical_revision', 'v1'),
    str('istio.mesh_id', 'cluster.local'),
    str('istio.namespace', w.ns),
    str('istio.cluster_id', 'Kubernetes'),
  ];
  if (status === '503') attributes.push(str('error', 'true'));
  return {
    traceId: crypto.randomBytes(16),
    spanId: crypto.randomBytes(8),
    parentSpanId: crypto.randomBytes(8),
    name: `${inbound ? w.app : callee}.${w.ns}.svc.cluster.local:9080/*`,
    kind: SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 2_500_000,
    attributes,
    status: status === '503' ? { code: 2 } : {},
  };
}

function envoyRequest(w: (typeof WORKLOADS)[number], spans: number): TraceData {
  const t0 = Date.now() * 1_000_000;
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', `${w.app}.${w.ns}`)] },
        scopeSpans: [{ scope: { name: 'envoy' }, spans: Array.from({ length: spans }, (_, i) => envoySpan(w, i, t0)) }],
      },
    ],
  };
}

const PAYLOADS: Buffer[] = Array.from({ length: 16 }, (_, i) =>
  Buffer.from(encodeTraceRequest(envoyRequest(WORKLOADS[i % WORKLOADS.length], SPANS_PER_REQUEST))),
);
const ATTRS_PER_SPAN = decodeTraceRequest(PAYLOADS[0]).resourceSpans[0].scopeSpans[0].spans[0].attributes.length;

// ---- in-process measurements -----------------------------------------------------------------

/**
 * Runs `fn` repeatedly for about `seconds` of this process's CPU time; returns calls per CPU
 * second. CPU time (user + system, all of V8's threads) rather than wall time, so that the
 * figures hold on a machine shared with other work.
 */
function rate(fn: (i: number) => void, seconds: number): number {
  for (let i = 0; i < 20; i++) fn(i); // warm-up: let V8 optimise
  let n = 0;
  const c0 = process.cpuUsage();
  const wallLimit = Date.now() + seconds * 10_000;
  let cpu = 0;
  while (cpu < seconds && Date.now() < wallLimit) {
    for (let k = 0; k < 10; k++) fn(n++);
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1e6;
  }
  return n / cpu;
}

/**
 * Spans/s (per CPU second) of `visit` alone: each request is decoded just before (untimed), as the
 * receiver does right before the pipeline runs, and only the visit is timed. The garbage
 * collection the visit's own allocations cause is in the figure.
 */
function visitRate(visit: (td: TraceData) => void, seconds: number, prepare: (td: TraceData) => void = () => {}): number {
  for (let i = 0; i < 20; i++) {
    const td = decodeTraceRequest(PAYLOADS[i % PAYLOADS.length]);
    prepare(td);
    visit(td);
  }
  let spans = 0;
  let cpuMicros = 0;
  for (let i = 0; cpuMicros < seconds * 1e6; i++) {
    const td = decodeTraceRequest(PAYLOADS[i % PAYLOADS.length]);
    prepare(td); // untimed, like the decode: e.g. the processors before the one measured
    const c0 = process.cpuUsage();
    visit(td);
    const c = process.cpuUsage(c0);
    cpuMicros += c.user + c.system;
    spans += SPANS_PER_REQUEST;
  }
  return spans / (cpuMicros / 1e6);
}

let sinkCounter = 0;
function noopVisit(td: TraceData): void {
  for (const rs of td.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const span of ss.spans) {
        const attrs = span.attributes;
        for (let i = 0; i < attrs.length; i++) sinkCounter += attrs[i].key.length;
      }
}

// ---- end to end ------------------------------------------------------------------------------

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/collector/cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
}

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLK_TCK;
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`collector exited with code ${child.exitCode}`));
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`collector did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

interface LoadResult {
  acknowledgedSpans: number;
  refused: number;
  errors: number;
}

/** Posts pre-encoded requests with `concurrency` in flight until `stopAt`; counts acknowledged spans. */
async function drive(port: number, agent: http.Agent, stopAt: number): Promise<LoadResult> {
  const res: LoadResult = { acknowledgedSpans: 0, refused: 0, errors: 0 };
  let next = 0;
  const post = (body: Buffer): Promise<number> =>
    new Promise((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/traces',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
          r.on('error', () => resolve(0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (Date.now() < stopAt) {
      const status = await post(PAYLOADS[next++ % PAYLOADS.length]);
      if (status === 200) res.acknowledgedSpans += SPANS_PER_REQUEST;
      else if (status === 429 || status === 503) {
        res.refused++;
        await new Promise((r) => setTimeout(r, 20));
      } else {
        res.errors++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return res;
}

async function scrapeExported(metricsPort: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port: metricsPort, path: '/metrics' }, (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => {
          let sum = 0;
          let found = false;
          for (const line of text.split('\n')) {
            if (line.startsWith('otelcol_exporter_sent_spans_total')) {
              sum += Number(line.slice(line.lastIndexOf(' ') + 1));
              found = true;
            }
          }
          resolve(found ? sum : undefined);
        });
      })
      .on('error', () => resolve(undefined));
  });
}

interface E2EResult {
  sink: string;
  spansPerCpuSecond: number;
  spansPerWallSecond: number;
  cpuUtilisation: number;
  peakRssMiB: number;
  refused: number;
  errors: number;
  exportedBeforeStop: number | undefined;
  acknowledgedTotal: number;
  exitCode: number | null;
}

async function endToEnd(sink: string, pin: boolean): Promise<E2EResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-bench-'));
  const [port, metricsPort] = [await freePort(), await freePort()];
  const exporters =
    sink === 'file'
      ? `  file:\n    path: ${path.join(dir, 'spans.jsonl')}\n    rotation:\n      max_megabytes: 64\n      max_backups: 1\n`
      : '  debug:\n    verbosity: basic\n';
  const config =
    `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${port}\n` +
    `processors:\n  istio: {}\n  batch: ${BATCH_CONFIG}\n` +
    `exporters:\n${exporters}` +
    `service:\n  telemetry:\n    logs:\n      level: warn\n    metrics:\n      readers:\n        - pull: { exporter: { prometheus: { host: 127.0.0.1, port: ${metricsPort} } } }\n` +
    `  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [istio, batch]\n      exporters: [${sink}]\n`;
  const configPath = path.join(dir, 'config.yaml');
  fs.writeFileSync(configPath, config);

  const nodeArgs = [...NODE_FLAGS, ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE_DIR), '--cpu-prof-name', `collector-${sink}.cpuprofile`] : [])];
  const cmd = pin ? 'taskset' : process.execPath;
  const args = [...(pin ? ['-c', '1', process.execPath] : []), ...nodeArgs, CLI, '--config', configPath];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitForPort(port, child, 15_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const warm = await drive(port, agent, Date.now() + WARMUP_SECONDS * 1000);
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    const load = await drive(port, agent, Date.now() + E2E_SECONDS * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpu0;
    const rss = peakRssMiB(child.pid!);
    await new Promise((r) => setTimeout(r, 500)); // let the batch timeout flush
    const exported = await scrapeExported(metricsPort);
    agent.destroy();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    if (code === null && child.exitCode === null) child.kill('SIGKILL');
    return {
      sink,
      spansPerCpuSecond: load.acknowledgedSpans / cpu,
      spansPerWallSecond: load.acknowledgedSpans / wall,
      cpuUtilisation: cpu / wall,
      peakRssMiB: rss,
      refused: load.refused + warm.refused,
      errors: load.errors + warm.errors,
      exportedBeforeStop: exported,
      acknowledgedTotal: load.acknowledgedSpans + warm.acknowledgedSpans,
      exitCode: code,
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\ncollector stderr:\n${stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report ----------------------------------------------------------------------------------

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const pin = hasTaskset();
  if (pin) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  console.log(
    `meshtrace collector benchmark — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `payload: OTLP/HTTP protobuf, ${SPANS_PER_REQUEST} Envoy-shaped spans × ${ATTRS_PER_SPAN} attributes per request, ` +
      `${fmt(PAYLOADS[0].length)} bytes; ${PAYLOADS.length} distinct requests\n`,
  );

  // Interleaved rounds, best of each: on a shared machine the fastest round is the one least
  // disturbed by other processes, and interleaving exposes every variant to the same conditions.
  const processor = new IstioProcessor({ ...defaultIstioProcessorConfig(), ...ISTIO_OVERRIDES }, { consumeTraces: async () => {} });
  const variants: Record<string, (i: number) => void> = {
    ceiling: (i) => void encodeTraceRequest(decodeTraceRequest(PAYLOADS[i % PAYLOADS.length])),
    pipeline: (i) => {
      const td = decodeTraceRequest(PAYLOADS[i % PAYLOADS.length]);
      processor.process(td);
      encodeTraceRequest(td);
    },
    decode: (i) => void decodeTraceRequest(PAYLOADS[i % PAYLOADS.length]),
  };
  const best: Record<string, number> = {};
  for (let round = 0; round < IN_PROCESS_ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      best[name] = Math.max(best[name] ?? 0, rate(fn, 0.4) * SPANS_PER_REQUEST);
    }
  }
  const { ceiling, pipeline, decode } = best;
  // reparent after istio, as shipped; its next consumer does nothing. No span here is healed, so
  // this is what every span pays: one pass over the attributes, and SERVER spans remembered (the
  // memory at its max_server_spans bound once warm).
  const reparentProcessor = new ReparentProcessor(
    { ...defaultReparentConfig },
    { id: 'reparent', logger: nullLogger(), metrics: new CollectorMetrics() },
    { consumeTraces: async () => {} },
  );
  // The same with aliases known: learned from spans tagged meshtrace.healed_trace of other traces,
  // so every measured span pays the alias lookup (a hash of its trace ID and a map probe).
  const aliased = new ReparentProcessor(
    { ...defaultReparentConfig },
    { id: 'reparent', logger: nullLogger(), metrics: new CollectorMetrics() },
    { consumeTraces: async () => {} },
  );
  for (let i = 0; i < KNOWN_ALIASES; i++) {
    const id = (n: number) => Buffer.from(crypto.createHash('md5').update(String(n)).digest());
    const span: Span = {
      traceId: id(i), spanId: id(i).subarray(0, 8), name: 'tagged', kind: SpanKind.SERVER, startTimeUnixNano: 0, endTimeUnixNano: 1,
      attributes: [str('meshtrace.healed_trace', id(i + KNOWN_ALIASES).toString('hex'))],
    };
    await aliased.consumeTraces({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: {}, spans: [span] }] }] });
  }
  if (aliased.traceAliases !== KNOWN_ALIASES) throw new Error(`expected ${KNOWN_ALIASES} aliases, got ${aliased.traceAliases}`);
  // An older build of the processor, in the same rounds (its own default config).
  let before: { consumeTraces(td: TraceData): Promise<void> } | undefined;
  if (REPARENT_BEFORE) {
    const dir = path.resolve(REPARENT_BEFORE, 'collector/processor/reparentprocessor');
    const { ReparentProcessor: Before } = (await import(path.join(dir, 'processor.js'))) as { ReparentProcessor: new (...a: unknown[]) => { consumeTraces(td: TraceData): Promise<void> } };
    const { defaultReparentConfig: beforeConfig } = (await import(path.join(dir, 'config.js'))) as { defaultReparentConfig: object };
    before = new Before({ ...beforeConfig }, { id: 'reparent', logger: nullLogger(), metrics: new CollectorMetrics() }, { consumeTraces: async () => {} });
  }
  let istio = 0;
  let noop = 0;
  let reparent = 0;
  let reparentAliased = 0;
  let reparentBefore = 0;
  for (let round = 0; round < IN_PROCESS_ROUNDS; round++) {
    istio = Math.max(istio, visitRate((td) => processor.process(td), 0.4));
    noop = Math.max(noop, visitRate(noopVisit, 0.1));
    reparent = Math.max(reparent, visitRate((td) => void reparentProcessor.consumeTraces(td), 0.4, (td) => processor.process(td)));
    reparentAliased = Math.max(reparentAliased, visitRate((td) => void aliased.consumeTraces(td), 0.4, (td) => processor.process(td)));
    if (before) reparentBefore = Math.max(reparentBefore, visitRate((td) => void before!.consumeTraces(td), 0.4, (td) => processor.process(td)));
  }

  console.log('in process (this core; rates per CPU second, best of interleaved rounds)');
  console.log(
    table([
      ['measurement', 'spans/s', 'ns/span'],
      ['protobufjs decode + encode (ceiling)', fmt(ceiling), (1e9 / ceiling).toFixed(0)],
      ['protobufjs decode only', fmt(decode), (1e9 / decode).toFixed(0)],
      ['decode + istio + encode (pipeline without I/O)', fmt(pipeline), (1e9 / pipeline).toFixed(0)],
      ['istio processor alone (timed apart from decode)', fmt(istio), (1e9 / istio).toFixed(0)],
      ['no-op loop over the same spans and attributes', fmt(noop), (1e9 / noop).toFixed(0)],
      ['reparent processor alone (after istio, untimed)', fmt(reparent), (1e9 / reparent).toFixed(0)],
      [`reparent, ${fmt(KNOWN_ALIASES)} trace aliases known`, fmt(reparentAliased), (1e9 / reparentAliased).toFixed(0)],
      ...(before ? [[`reparent, before (${REPARENT_BEFORE})`, fmt(reparentBefore), (1e9 / reparentBefore).toFixed(0)]] : []),
    ]),
  );
  console.log(
    `pipeline without I/O / ceiling: ${(pipeline / ceiling).toFixed(2)}; istio processor: ${(noop / istio).toFixed(1)}× the no-op loop, ` +
      `${((ceiling / istio) * 100).toFixed(1)}% of the time of a decode + encode; reparent processor: ${(noop / reparent).toFixed(1)}× the no-op loop, ` +
      `${((ceiling / reparent) * 100).toFixed(1)}% of a decode + encode; with aliases known ${(noop / reparentAliased).toFixed(1)}× the no-op loop` +
      (before ? `; before: ${(noop / reparentBefore).toFixed(1)}× the no-op loop (now / before: ${(reparentBefore / reparent).toFixed(2)}× the time)` : '') + '\n',
  );

  if (SKIP_E2E) return;
  if (!fs.existsSync(CLI)) {
    console.log(`end to end: skipped, ${path.relative(ROOT, CLI)} not built (npm run build:ts)`);
    return;
  }
  const results: E2EResult[] = [];
  for (const sink of SINKS) {
    try {
      results.push(await endToEnd(sink, pin));
    } catch (err) {
      console.log(`end to end (${sink}): failed: ${(err as Error).message}`);
    }
  }
  if (results.length === 0) return;
  console.log(
    `end to end: OTLP/HTTP protobuf → istio + batch → exporter, collector ${NODE_FLAGS.length ? `(node ${NODE_FLAGS.join(' ')}) ` : ''}${pin ? 'pinned to CPU 1 (taskset -c 1), load generator on CPU 0' : 'not pinned (taskset unavailable)'}, ` +
      `${CONCURRENCY} requests in flight, ${WARMUP_SECONDS}s warm-up + ${E2E_SECONDS}s measured`,
  );
  console.log(
    table([
      ['exporter', 'spans/s per core', 'spans/s wall', 'collector CPU', 'ratio to ceiling', 'peak RSS MiB', 'refused', 'errors', 'exported/acked', 'exit'],
      ...results.map((r) => [
        r.sink === 'debug' ? 'debug (null sink)' : r.sink,
        fmt(r.spansPerCpuSecond),
        fmt(r.spansPerWallSecond),
        `${(r.cpuUtilisation * 100).toFixed(0)}%`,
        (r.spansPerCpuSecond / ceiling).toFixed(2),
        r.peakRssMiB.toFixed(0),
        String(r.refused),
        String(r.errors),
        r.exportedBeforeStop === undefined ? 'n/a' : `${fmt(r.exportedBeforeStop)}/${fmt(r.acknowledgedTotal)}`,
        String(r.exitCode),
      ]),
    ]),
  );
  console.log('\ntargets (issue 4): ≥ 50,000 spans/s per core, ratio to ceiling > 0.3');
  if (sinkCounter < 0) console.log(''); // keeps the no-op loop's work observable
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
