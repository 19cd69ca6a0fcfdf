/**
 * Peak memory under issue 9's hostile mix, next to the memory budget: `npm run bench:hostile`.
 *
 * Runs the built collector (`dist/collector/cli.js`) as a child process with the Deployment's
 * NODE_OPTIONS and a budget of 80 % of its container memory limit (what the pod computes from
 * its cgroup), the shipped pipeline (memory_limiter, batch 1024) into an OTLP/HTTP backend that
 * accepts everything, and throws at it, all at once and `--rounds` times:
 *
 *   the 6 MB / 3M-empty-span and a 20 MB OTLP protobuf body, a 19.5 MB Zipkin [{},…] body,
 *   32 × 100 KB gzip bombs, 4 × 10 MB nested JSON bodies, a 3 MB Zipkin [{},…] body, a span
 *   with an 80 KB numeric tag (parse_string_tags), and legitimate traffic (100-span requests)
 *   on OTLP/HTTP the whole time.
 *
 * Prints the collector's RSS at rest (baseline, same run), its peak RSS (VmHWM from /proc) and
 * the ratio of the peak to the budget, the slowest health answer, what the legitimate requests
 * got, and whether the process stayed up. Options: --rounds N (default 3).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptySpansProtobuf, emptyZipkinSpans, gzipBomb, legitimateRequest, nestedJson, shippedDeployment, zipkinNumericTagSpan } from '../collector/receiver/internal/testdata/hostile-payloads.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
}

function post(port: number, p: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST', agent: false, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', () => resolve(-1)); // refused before the whole body was sent
    req.end(body);
  });
}

async function main(): Promise<void> {
  const dep = shippedDeployment(root);
  const budgetMiB = Math.floor(dep.memoryLimitMiB * 0.8);
  const backend = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-hostile-'));
  const cfgPath = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    cfgPath,
    `
receivers:
  otlp: { protocols: { grpc: { endpoint: "127.0.0.1:0" }, http: { endpoint: "127.0.0.1:0" } } }
  zipkin: { endpoint: "127.0.0.1:0", parse_string_tags: true }
processors:
  memory_limiter: { check_interval: 1s, limit_mib: 400, spike_limit_mib: 100 }
  batch: { send_batch_size: 1024, timeout: 200ms }
exporters:
  otlphttp: { endpoint: "http://127.0.0.1:${backendPort}", compression: none }
extensions:
  health_check: { endpoint: "127.0.0.1:0" }
  memory_limiter: { limit_mib: ${budgetMiB} }
service:
  extensions: [health_check, memory_limiter]
  pipelines:
    traces: { receivers: [otlp, zipkin], processors: [memory_limiter, batch], exporters: [otlphttp] }
  telemetry: { metrics: { level: none } }
`,
  );
  const child = spawn(process.execPath, [path.join(root, 'dist/collector/cli.js'), '--config', cfgPath], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: dep.nodeOptions },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports: Record<string, number> = {};
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`collector exited (${code}) before it was ready`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const l = JSON.parse(line) as { msg: string; port?: number; endpoint?: string };
        if (l.msg === 'OTLP/HTTP receiver listening') ports.http = l.port!;
        if (l.msg === 'Zipkin receiver listening') ports.zipkin = l.port!;
        if (l.msg === 'health check server listening') ports.health = Number(/:(\d+)$/.exec(l.endpoint!)![1]);
        if (l.msg.startsWith('Everything is ready')) resolve();
      }
      out = out.slice(out.lastIndexOf('\n') + 1);
    });
  });
  child.removeAllListeners('exit');
  child.stdout!.resume();
  await new Promise((r) => setTimeout(r, 1000));
  const pid = child.pid!;
  const baseline = rssMiB(pid, 'VmRSS');

  const bodies = {
    six: emptySpansProtobuf(3_000_000),
    twenty: emptySpansProtobuf(10_000_000),
    zipkin195: emptyZipkinSpans(19.5e6),
    zipkin3: emptyZipkinSpans(3e6),
    bomb: gzipBomb(100 * 1024),
    nested: nestedJson(10 * 1024 * 1024),
    tag: zipkinNumericTagSpan(),
  };
  const PB = { 'Content-Type': 'application/x-protobuf' };
  const JSON_H = { 'Content-Type': 'application/json' };

  let hostileDone = false;
  let slowestHealth = 0;
  const legit = { ok: 0, refused: 0 };
  const health = (async () => {
    while (!hostileDone) {
      const t0 = Date.now();
      await fetch(`http://127.0.0.1:${ports.health}/`).then((r) => r.arrayBuffer(), () => undefined);
      slowestHealth = Math.max(slowestHealth, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const traffic = (async () => {
    while (!hostileDone) {
      const st = await post(ports.http, '/v1/traces', legitimateRequest(100).body, PB);
      if (st === 200) legit.ok++;
      else legit.refused++;
    }
  })();
  const hostileStatus: Record<string, number> = {};
  const t0 = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const sends: [string, Promise<number>][] = [
      ['6 MB protobuf', post(ports.http, '/v1/traces', bodies.six, PB)],
      ['20 MB protobuf', post(ports.http, '/v1/traces', bodies.twenty, PB)],
      ['19.5 MB Zipkin', post(ports.zipkin, '/api/v2/spans', bodies.zipkin195, JSON_H)],
      ['3 MB Zipkin', post(ports.zipkin, '/api/v2/spans', bodies.zipkin3, JSON_H)],
      ['80 KB tag', post(ports.zipkin, '/api/v2/spans', bodies.tag, JSON_H)],
      ...Array.from({ length: 32 }, (): [string, Promise<number>] => ['gzip bomb', post(ports.http, '/v1/traces', bodies.bomb, { ...PB, 'Content-Encoding': 'gzip' })]),
      ...Array.from({ length: 4 }, (): [string, Promise<number>] => ['10 MB nested JSON', post(ports.http, '/v1/traces', bodies.nested, JSON_H)]),
    ];
    for (const [what, p] of sends) {
      const st = await p;
      const key = `${what} → ${st}`;
      hostileStatus[key] = (hostileStatus[key] ?? 0) + 1;
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  hostileDone = true;
  await Promise.all([health, traffic]);
  const alive = child.exitCode === null;
  const peak = alive ? rssMiB(pid, 'VmHWM') : NaN;
  child.kill('SIGTERM');
  backend.close();

  console.log(`hostile mix × ${ROUNDS} rounds in ${seconds.toFixed(1)} s, NODE_OPTIONS=${dep.nodeOptions}, budget ${budgetMiB} MiB (80 % of the ${dep.memoryLimitMiB}Mi container limit)`);
  console.log('');
  console.log('| figure | value |');
  console.log('| --- | --- |');
  console.log(`| RSS at rest (baseline, same run) | ${baseline.toFixed(0)} MiB |`);
  console.log(`| peak RSS under the hostile mix (VmHWM) | **${peak.toFixed(0)} MiB** |`);
  console.log(`| peak / budget | ${(peak / budgetMiB).toFixed(2)} |`);
  console.log(`| peak / container limit | ${(peak / dep.memoryLimitMiB).toFixed(2)} |`);
  console.log(`| slowest health answer | ${slowestHealth} ms |`);
  console.log(`| legitimate 100-span requests during the mix | ${legit.ok} accepted, ${legit.refused} refused (retryably) |`);
  console.log(`| process up at the end | ${alive ? 'yes' : 'NO'} |`);
  console.log('');
  for (const [k, n] of Object.entries(hostileStatus).sort()) console.log(`  ${k}: ${n}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
