/**
 * Export throughput benchmark (issue 5, "Performance"): `npm run bench:export`.
 *
 * This process is the collector under test, pinned to one core (taskset -c 0 when there are two):
 * the real `otlp` receiver (OTLP/HTTP protobuf on 127.0.0.1) feeding one exporter directly —
 * `otlp` (gRPC, gzip = default, and none), `otlphttp` (gzip) and `awsxray` (PutTraceSegments) —
 * that sends to a sink on 127.0.0.1. A child process on the other core plays both the clients
 * (pre-encoded requests of 100 Envoy-shaped spans × 21 attributes, keep-alive, 2 in flight,
 * retrying 503/429 back-pressure) and the destinations (a raw OTLP/gRPC Export server, an
 * OTLP/HTTP server, a fake X-Ray API answering `{"UnprocessedTraceSegments":[]}`).
 *
 * Spans/s per core = spans the exporter delivered (otelcol_exporter_sent_spans_total) ÷ this
 * process's CPU seconds (user + system, including zlib's thread pool) in the window, so it holds
 * on a shared machine. The ceiling is protobufjs decode + encode of the same requests in this
 * process, measured in the same run; the ratio is printed. RSS: peak resident set during the window.
 *
 * Two requests in flight by default: enough to keep the collector busy without overloading it.
 * With more (--concurrency 8) the receiver accepts faster than a compressing exporter sends, the
 * queue fills and refused requests were decoded for nothing — overload figures, printed lower.
 *
 * Scenarios marked `+ file_storage` run the same exporter with a persistent sending queue
 * (`sending_queue.storage`, an LMDB file in a fresh directory under --storage-dir, default the
 * OS temp directory): every batch is written before it is accepted and deleted once sent.
 *
 * Each scenario runs in a fresh collector process of its own (as a deployed collector runs one
 * configuration), with every component's code loaded as the collector CLI loads it: scenarios
 * measured one after the other in one process disturbed each other (the X-Ray OTLP route measured
 * 31,000 spans/s per core after the awsxray scenario in the same process, 48,000–52,000 alone;
 * the awsxray scenario had loaded ioredis, whose String subclass slowed every later string
 * operation until collector/runtime/fast-string-prototype.ts undid it), and JIT state shaped by
 * one exporter's code still colours the next. `--in-process` measures them all in this process,
 * as older versions of this benchmark did.
 *
 * Options: --seconds N (window per scenario, default 5), --concurrency N (default 2), --in-process,
 * --only otlp,otlp-none,otlphttp,otlphttp-fast,otlphttp-none,otlphttp-none-fs,xray,xray-fs,xray-otlp,
 * --storage-dir DIR.
 *
 * `xray-otlp` is X-Ray's OTLP route: otlphttp + sigv4auth (the default credential chain, static
 * bench credentials in the environment) + gzip to a fake X-Ray OTLP endpoint that verifies every
 * SigV4 signature (in the peer process, so verifying costs the collector nothing) and answers 403
 * to a bad one (counted as dropped). Its ratio to the unsigned `otlphttp` gzip scenario of the
 * same run is printed at the end.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import http2 from 'node:http2';
import fs from 'node:fs';
import path from 'node:path';
import type { Extension, Host, TracesExporter, Factory } from '../collector/component/component.js';
import { TEST_CREDENTIALS as BENCH_CREDENTIALS, TEST_REGION as BENCH_REGION, verifySigV4 } from '../collector/exporter/awsxrayexporter/testdata/fake-xray.js';
import { ConfigIssues } from '../collector/config/issues.js';
import { decodeTraceRequest, encodeTraceRequest, encodeTraceResponse } from '../collector/pdata/otlp-proto.js';
import { envoyRequests, SPANS_PER_REQUEST } from './envoy-requests.js';
import { nullLogger } from '../collector/telemetry/logger.js';
import { CollectorMetrics } from '../collector/telemetry/metrics.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : def;
}
const SECONDS = Number(arg('seconds', '5'));
const WARMUP_SECONDS = 1.5;
const CONCURRENCY = Number(arg('concurrency', '2'));
const ONLY = arg('only', 'otlp,otlp-none,otlphttp,otlphttp-fast,otlphttp-none,otlphttp-none-fs,xray,xray-fs,xray-otlp').split(',');
const STORAGE_DIR = arg('storage-dir', os.tmpdir());

// ---- the peer process: load driver + sinks -----------------------------------------------------

type PeerMsg = { cmd: 'sinks' } | { cmd: 'drive'; port: number; seconds: number; concurrency: number } | { cmd: 'exit' };

async function peer(): Promise<void> {
  const bodies = envoyRequests();
  const send = (m: unknown) => process.send!(m);
  process.on('message', async (msg: PeerMsg) => {
    if (msg.cmd === 'exit') process.exit(0);
    if (msg.cmd === 'sinks') {
      const empty = Buffer.from(encodeTraceResponse());
      // A raw gRPC Export responder on node:http2 with large flow-control windows, as Go gRPC
      // servers (the Collector, most backends) reach through BDP estimation; grpc-js servers stay
      // at 64 KiB, which would make the benchmark measure window round-trips instead of the exporter.
      const WINDOW = 16 * 1024 * 1024;
      const h2 = http2.createServer({ settings: { initialWindowSize: WINDOW } });
      h2.on('session', (session) => session.setLocalWindowSize(WINDOW));
      const okFrame = Buffer.concat([Buffer.from([0, 0, 0, 0, empty.length]), empty]);
      h2.on('stream', (stream) => {
        stream.on('data', () => {});
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(okFrame);
        });
      });
      const grpcPort = await new Promise<number>((r) => h2.listen(0, '127.0.0.1', () => r((h2.address() as { port: number }).port)));
      const sink = (answer: Buffer, type: string) =>
        http.createServer((req, res) => {
          req.resume();
          req.on('end', () => {
            res.writeHead(200, { 'content-type': type, 'content-length': answer.length });
            res.end(answer);
          });
        });
      const listen = (s: http.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
      const httpPort = await listen(sink(empty, 'application/x-protobuf'));
      const xrayPort = await listen(sink(Buffer.from('{"UnprocessedTraceSegments":[]}'), 'application/x-amz-json-1.1'));
      // X-Ray's OTLP endpoint: every request's SigV4 signature checked (service xray), 403 if wrong.
      const secrets = new Map([[BENCH_CREDENTIALS.accessKeyId, BENCH_CREDENTIALS.secretAccessKey]]);
      const xrayOtlp = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const ok = verifySigV4(req, Buffer.concat(chunks), secrets, BENCH_REGION, 'xray').ok;
          res.writeHead(ok ? 200 : 403, { 'content-type': 'application/x-protobuf', 'content-length': ok ? empty.length : 0 });
          res.end(ok ? empty : undefined);
        });
      });
      const xrayOtlpPort = await listen(xrayOtlp);
      send({ grpcPort, httpPort, xrayPort, xrayOtlpPort });
    }
    if (msg.cmd === 'drive') {
      const agent = new http.Agent({ keepAlive: true, maxSockets: msg.concurrency });
      const until = Date.now() + msg.seconds * 1000;
      let acked = 0;
      let refused = 0;
      let failed = 0;
      const post = (body: Buffer) =>
        new Promise<number>((resolve) => {
          const req = http.request({ host: '127.0.0.1', port: msg.port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', () => resolve(0));
          req.end(body);
        });
      const worker = async (w: number) => {
        let i = w;
        while (Date.now() < until) {
          const status = await post(bodies[i % bodies.length]!);
          if (status === 200) {
            acked += SPANS_PER_REQUEST;
            i++;
          } else if (status === 503 || status === 429) {
            refused++;
            await new Promise((r) => setTimeout(r, 5)); // back-pressure: the client keeps the data and retries
          } else {
            failed++;
            i++;
          }
        }
      };
      await Promise.all(Array.from({ length: msg.concurrency }, (_, w) => worker(w)));
      agent.destroy();
      send({ acked, refused, failed });
    }
  });
  send({ ready: true });
}

// ---- the collector side ---------------------------------------------------------------------------

function pinTo(cpu: number, pid: number): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function request(child: ChildProcess, msg: PeerMsg): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, number>));
    child.send(msg);
  });
}

/** Decode + encode rate per CPU second (CPU time, like the scenarios, so load elsewhere cancels out). */
function ceiling(bodies: Buffer[], seconds: number): number {
  for (let i = 0; i < 40; i++) encodeTraceRequest(decodeTraceRequest(bodies[i % bodies.length]!));
  let n = 0;
  const cpu0 = cpuSeconds();
  while (cpuSeconds() - cpu0 < seconds) {
    for (let k = 0; k < 10; k++) encodeTraceRequest(decodeTraceRequest(bodies[n++ % bodies.length]!));
  }
  return (n * SPANS_PER_REQUEST) / (cpuSeconds() - cpu0);
}

const hostWith = (extensions: Record<string, Extension> = {}): Host => ({
  health: { state: 'ready' },
  backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 },
  getExtension: (id) => extensions[id],
});

interface Scenario {
  name: string;
  label: string;
  factory: () => Promise<Factory<unknown, TracesExporter>>;
  config: (ports: Record<string, number>) => Record<string, unknown>;
  /** With a persistent sending queue (file_storage in a fresh directory). */
  storage?: boolean;
  /** An extension the exporter uses (`auth.authenticator`), created and started before it. */
  extension?: { id: string; factory: () => Promise<Factory<unknown, Extension>>; config: Record<string, unknown> };
}

/** The same scenario with `sending_queue.storage: file_storage`. */
function withFileStorage(s: Scenario): Scenario {
  return {
    ...s,
    name: `${s.name}-fs`,
    label: `${s.label} + file_storage`,
    storage: true,
    config: (p) => {
      const c = s.config(p);
      return { ...c, sending_queue: { ...(c.sending_queue as object), storage: 'file_storage' } };
    },
  };
}

const BASE_SCENARIOS: Scenario[] = [
  {
    name: 'otlp',
    label: 'OTLP/HTTP in → otlp (gRPC, gzip) out',
    factory: async () => (await import('../collector/exporter/otlpexporter/factory.js')).otlpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `127.0.0.1:${p.grpcPort}`, tls: { insecure: true } }),
  },
  {
    name: 'otlp-none',
    label: 'OTLP/HTTP in → otlp (gRPC, no compression) out',
    factory: async () => (await import('../collector/exporter/otlpexporter/factory.js')).otlpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `127.0.0.1:${p.grpcPort}`, tls: { insecure: true }, compression: 'none' }),
  },
  {
    name: 'otlphttp',
    label: 'OTLP/HTTP in → otlphttp (gzip) out',
    factory: async () => (await import('../collector/exporter/otlphttpexporter/factory.js')).otlpHttpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `http://127.0.0.1:${p.httpPort}` }),
  },
  {
    name: 'otlphttp-fast',
    label: 'OTLP/HTTP in → otlphttp (gzip level 1) out',
    factory: async () => (await import('../collector/exporter/otlphttpexporter/factory.js')).otlpHttpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `http://127.0.0.1:${p.httpPort}`, compression_params: { level: 1 } }),
  },
  {
    name: 'otlphttp-none',
    label: 'OTLP/HTTP in → otlphttp (no compression) out',
    factory: async () => (await import('../collector/exporter/otlphttpexporter/factory.js')).otlpHttpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `http://127.0.0.1:${p.httpPort}`, compression: 'none' }),
  },
  {
    name: 'xray',
    label: 'OTLP/HTTP in → awsxray (PutTraceSegments) out',
    factory: async () => (await import('../collector/exporter/awsxrayexporter/factory.js')).awsXrayExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ region: 'us-east-1', endpoint: `http://127.0.0.1:${p.xrayPort}` }),
  },
  {
    name: 'xray-otlp',
    label: 'OTLP/HTTP in → otlphttp + sigv4auth (gzip) out',
    factory: async () => (await import('../collector/exporter/otlphttpexporter/factory.js')).otlpHttpExporterFactory as Factory<unknown, TracesExporter>,
    config: (p) => ({ endpoint: `http://127.0.0.1:${p.xrayOtlpPort}`, auth: { authenticator: 'sigv4auth' } }),
    extension: {
      id: 'sigv4auth',
      factory: async () => (await import('../collector/extension/sigv4authextension/factory.js')).sigv4AuthExtensionFactory as Factory<unknown, Extension>,
      config: { region: BENCH_REGION, service: 'xray' },
    },
  },
];

const SCENARIOS: Scenario[] = BASE_SCENARIOS.flatMap((s) => (s.name === 'otlphttp-none' || s.name === 'xray' ? [s, withFileStorage(s)] : [s]));

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function runScenario(s: Scenario, child: ChildProcess, ports: Record<string, number>) {
  const metrics = new CollectorMetrics();
  const settings = (id: string) => ({ id, logger: nullLogger(), metrics });
  const issues = new ConfigIssues();
  const factory = await s.factory();
  const expCfg = factory.parseConfig(s.config(ports), `exporters.${factory.type}`, issues);
  const { otlpReceiverFactory } = await import('../collector/receiver/otlpreceiver/factory.js');
  const rcvCfg = otlpReceiverFactory.parseConfig({ protocols: { http: { endpoint: '127.0.0.1:0' } } }, 'receivers.otlp', issues);
  if (!issues.ok) throw new Error(issues.format());
  const extensions: Record<string, Extension> = {};
  let storageDir: string | undefined;
  if (s.storage) {
    const { fileStorageExtensionFactory } = await import('../collector/extension/filestorageextension/factory.js');
    storageDir = fs.mkdtempSync(path.join(STORAGE_DIR, 'mt-bench-queue-'));
    const ext = fileStorageExtensionFactory.create(fileStorageExtensionFactory.parseConfig({ directory: storageDir }, 'extensions.file_storage', issues), settings('file_storage'));
    await ext.start(hostWith());
    extensions.file_storage = ext;
  }
  if (s.extension) {
    const extFactory = await s.extension.factory();
    const ext = extFactory.create(extFactory.parseConfig(s.extension.config, `extensions.${s.extension.id}`, issues), settings(s.extension.id));
    if (!issues.ok) throw new Error(issues.format());
    await ext.start(hostWith());
    extensions[s.extension.id] = ext;
  }
  const host = hostWith(extensions);
  const exporter = factory.create(expCfg, settings(factory.type));
  const receiver = otlpReceiverFactory.create(rcvCfg, settings('otlp'), exporter);
  await exporter.start(host);
  await receiver.start(host);
  const sent = async () => {
    const { values } = await metrics.exporterSent.get();
    return values.reduce((n, v) => n + v.value, 0);
  };
  const driving = request(child, { cmd: 'drive', port: receiver.httpPort!, seconds: WARMUP_SECONDS + SECONDS + 0.3, concurrency: CONCURRENCY });
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  const cpu0 = cpuSeconds();
  const sent0 = await sent();
  const t0 = Date.now();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = cpuSeconds() - cpu0;
  const spans = (await sent()) - sent0;
  const wall = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const driver = await driving;
  await receiver.shutdown(AbortSignal.timeout(2000));
  await exporter.shutdown(AbortSignal.timeout(5000));
  for (const ext of Object.values(extensions)) await ext.shutdown(AbortSignal.timeout(5000));
  if (storageDir) fs.rmSync(storageDir, { recursive: true, force: true });
  const { values: dropped } = await metrics.spansDropped.get();
  return { spans, cpu, wall, peakRss, refused: driver.refused ?? 0, dropped: dropped.reduce((n, v) => n + v.value, 0) };
}

interface ScenarioResult {
  name: string;
  label: string;
  perCore?: number;
  ceiling?: number;
  line: string;
}

function resultLine(label: string, perCore: number, ceil: number, r: Awaited<ReturnType<typeof runScenario>>): string {
  return `${label.padEnd(66)}${Math.round(perCore).toLocaleString('en').padStart(12)}  ${(perCore / ceil).toFixed(2).padStart(5)}` +
    `${Math.round(r.spans / r.wall).toLocaleString('en').padStart(14)}  ${r.cpu.toFixed(2).padStart(5)}  ${(r.peakRss / 2 ** 20).toFixed(0).padStart(5)} MiB` +
    `${String(r.refused).padStart(6)}  ${String(r.dropped).padStart(7)}`;
}

/** The scenario alone in a fresh collector process (this file with --in-process --only NAME --json). */
function runIsolated(s: Scenario): ScenarioResult {
  const passOn = ['--seconds', String(SECONDS), '--concurrency', String(CONCURRENCY), '--storage-dir', STORAGE_DIR];
  try {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--in-process', '--json', '--only', s.name, ...passOn], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 * 1024 * 1024,
    });
    const json = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!json) throw new Error('no result line');
    return JSON.parse(json.slice('RESULT '.length)) as ScenarioResult;
  } catch (e) {
    return { name: s.name, label: s.label, line: `${s.label.padEnd(66)}failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--in-process')) return mainIsolated();
  // Every component's code loaded, as the collector CLI does: what a library does to V8's state
  // at load time (collector/runtime/fast-string-prototype.ts) then shows in every scenario.
  await import('../collector/components.js');
  const json = process.argv.includes('--json');
  const log = json ? () => {} : (line: string) => console.log(line);
  const bodies = envoyRequests();
  const attrs = decodeTraceRequest(bodies[0]!).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.length;
  const pinned = pinTo(0, process.pid);
  const child = fork(fileURLToPath(import.meta.url), ['--peer'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => child.once('message', r));
  if (pinned) pinTo(1, child.pid!);
  const ports = await request(child, { cmd: 'sinks' });
  // Credentials for the AWS SDK's default chain; the fake X-Ray does not check them.
  process.env.AWS_ACCESS_KEY_ID = BENCH_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = BENCH_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;

  log(header(attrs, bodies[0]!.length, pinned, 'measured one after the other in this process'));
  const ceil = ceiling(bodies, 2);
  log(ceilingLine(ceil));
  log('');
  log(TABLE_HEAD);
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS.filter((x) => ONLY.includes(x.name))) {
    try {
      const r = await runScenario(s, child, ports);
      const perCore = r.spans / r.cpu;
      results.push({ name: s.name, label: s.label, perCore, ceiling: ceil, line: resultLine(s.label, perCore, ceil, r) });
    } catch (e) {
      results.push({ name: s.name, label: s.label, line: `${s.label.padEnd(66)}skipped: ${(e as Error).message.split('\n')[0]}` });
    }
    if (json) console.log(`RESULT ${JSON.stringify(results.at(-1))}`);
    else log(results.at(-1)!.line);
  }
  if (!json) footer(results);
  child.send({ cmd: 'exit' });
}

const TABLE_HEAD = 'scenario                                                          spans/s/core  ratio  wall spans/s  CPU s  peak RSS  503s  dropped';

function header(attrs: number, bytes: number, pinned: boolean, how: string): string {
  return `export-throughput: ${SPANS_PER_REQUEST} spans × ${attrs} attributes per request, ${bytes} bytes; ` +
    `window ${SECONDS}s per scenario, ${CONCURRENCY} requests in flight; ${pinned ? 'collector pinned to cpu 0, clients+sinks to cpu 1' : 'not pinned'}; ${how}; node ${process.version}`;
}

function ceilingLine(ceil: number): string {
  return `ceiling  protobufjs decode+encode in this process: ${Math.round(ceil).toLocaleString('en')} spans/s per CPU second`;
}

function footer(results: ScenarioResult[]): void {
  console.log('');
  console.log('spans/s/core = spans delivered to the sink ÷ collector-side CPU seconds; ratio = that ÷ the ceiling measured in the same process.');
  const signed = results.find((r) => r.name === 'xray-otlp')?.perCore;
  const unsigned = results.find((r) => r.name === 'otlphttp')?.perCore;
  if (signed !== undefined && unsigned !== undefined) {
    console.log(`otlphttp + sigv4auth → X-Ray OTLP ÷ unsigned otlphttp (both gzip, this run): ${(signed / unsigned).toFixed(2)}`);
  }
}

/** Every scenario in a fresh collector process of its own, one after the other. */
async function mainIsolated(): Promise<void> {
  const bodies = envoyRequests();
  const attrs = decodeTraceRequest(bodies[0]!).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.length;
  console.log(header(attrs, bodies[0]!.length, os.cpus().length >= 2, 'each scenario in a fresh collector process'));
  console.log('(ratio: to the protobufjs decode+encode ceiling measured in that scenario\'s own process)');
  console.log('');
  console.log(TABLE_HEAD);
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS.filter((x) => ONLY.includes(x.name))) {
    const r = runIsolated(s);
    results.push(r);
    console.log(r.line);
  }
  footer(results);
}

if (process.argv.includes('--peer')) void peer();
else await main();
