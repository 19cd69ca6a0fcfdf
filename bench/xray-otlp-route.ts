/**
 * The X-Ray OTLP route's own cost (issue 10, benchmark): what `otlphttp` + `sigv4auth` does per
 * span beyond plain `otlphttp`, in one process, without the network — so neither the fake
 * endpoint's signature checks nor the other processes on a shared machine weigh on it, as they
 * do on bench:export's end-to-end `xray-otlp` figure.
 *
 * Per request of 100 Envoy spans (bench/envoy-requests.ts), in alternating rounds of CPU time:
 *   - baseline, plain otlphttp: decode (what the receiver does) → the exporter's prepare (encode)
 *     → gzip at level 6 (the default);
 *   - X-Ray route: the same through an exporter whose endpoint is X-Ray's (prepare applies X-Ray's
 *     limits: planXrayRequests + encodeWithinLimit) → gzip → the sigv4auth extension signing the
 *     compressed body (the AWS SDK's signer; static credentials from the environment).
 * Prints µs per span of each, the difference (the route's own cost) and the ratio.
 *
 *   npm run bench:xray-otlp-route [-- --rounds 9 --seconds 1]
 */
import zlib from 'node:zlib';
import type { Extension, Host } from '../collector/component/component.js';
import { parseOtlpHttpExporterConfig } from '../collector/exporter/otlphttpexporter/config.js';
import { OtlpHttpSender, type OtlpHttpPayload } from '../collector/exporter/otlphttpexporter/http-sender.js';
import { ConfigIssues } from '../collector/config/issues.js';
import { httpClientAuthenticator, type HttpRequestAuthenticator } from '../collector/extension/extensionauth/client.js';
import { parseSigv4AuthConfig } from '../collector/extension/sigv4authextension/config.js';
import { Sigv4AuthExtension } from '../collector/extension/sigv4authextension/extension.js';
import { decodeTraceRequest } from '../collector/pdata/otlp-proto.js';
import { nullLogger } from '../collector/telemetry/logger.js';
import { CollectorMetrics } from '../collector/telemetry/metrics.js';
import { envoyRequests, SPANS_PER_REQUEST } from './envoy-requests.js';
import { median } from './rate.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : def;
}
const ROUNDS = Number(arg('rounds', '9'));
const SECONDS = Number(arg('seconds', '1'));

// Static credentials for the SDK's default chain (nothing is sent anywhere).
process.env.AWS_ACCESS_KEY_ID = 'AKIDMESHTRACEBENCH01';
process.env.AWS_SECRET_ACCESS_KEY = 'meshtrace/bench/secret/key/0123456789abcdef';
delete process.env.AWS_SESSION_TOKEN;

const settings = (id: string) => ({ id, logger: nullLogger(), metrics: new CollectorMetrics() });
const issues = new ConfigIssues();
const sigv4 = new Sigv4AuthExtension(parseSigv4AuthConfig({ region: 'us-west-2', service: 'xray' }, 'extensions.sigv4auth', issues), settings('sigv4auth'));
await sigv4.start();
const host: Host = { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 }, getExtension: (id) => (id === 'sigv4auth' ? (sigv4 as Extension) : undefined) };

async function sender(endpoint: string, auth: boolean): Promise<OtlpHttpSender> {
  const cfg = parseOtlpHttpExporterConfig({ endpoint, ...(auth ? { auth: { authenticator: 'sigv4auth' } } : {}) }, 'exporters.otlphttp', issues);
  if (!issues.ok) throw new Error(issues.format());
  const s = new OtlpHttpSender(cfg, settings('otlphttp'));
  await s.start(host);
  return s;
}
const plain = await sender('http://127.0.0.1:4318', false);
const xrayUrl = new URL('https://xray.us-west-2.amazonaws.com/v1/traces');
const xray = await sender(xrayUrl.origin, true);
const auth: HttpRequestAuthenticator = await httpClientAuthenticator(host, 'sigv4auth', 'bench').httpAuthenticator(xrayUrl, 'bench');
const headers = { 'user-agent': 'meshtrace-collector', 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' };

const bodies = envoyRequests();
let next = 0;

/** One request through a sender: decode, prepare, gzip every part, sign each when `signed`. */
async function once(s: OtlpHttpSender, signed: boolean): Promise<void> {
  const prepared = s.prepare(decodeTraceRequest(bodies[next++ % bodies.length]!));
  for (const part of (prepared.payload as OtlpHttpPayload).parts) {
    const body = zlib.gzipSync(part, { level: 6 });
    if (signed) await auth.authenticate({ method: 'POST', url: xrayUrl, headers: { ...headers, 'content-length': String(body.length) }, body });
  }
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** µs of CPU per span over about `seconds` of CPU. */
async function round(s: OtlpHttpSender, signed: boolean, seconds: number): Promise<number> {
  let requests = 0;
  const c0 = cpuSeconds();
  while (cpuSeconds() - c0 < seconds) {
    await once(s, signed);
    requests++;
  }
  return ((cpuSeconds() - c0) * 1e6) / (requests * SPANS_PER_REQUEST);
}

await round(plain, false, 0.5);
await round(xray, true, 0.5);
const base: number[] = [];
const route: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  base.push(await round(plain, false, SECONDS));
  route.push(await round(xray, true, SECONDS));
}
const b = median(base);
const x = median(route);
const diffs = base.map((v, i) => route[i]! - v);
console.log(`X-Ray OTLP route, in process, ${SPANS_PER_REQUEST} spans per request; node ${process.version}; ${ROUNDS} alternating rounds × ${SECONDS} s of CPU, medians`);
console.log(`baseline  decode → otlphttp prepare (encode) → gzip 6                       ${b.toFixed(2).padStart(6)} µs per span`);
console.log(`X-Ray     decode → prepare (X-Ray limits + encode) → gzip 6 → SigV4 sign     ${x.toFixed(2).padStart(6)} µs per span`);
console.log(`route's own cost ${median(diffs).toFixed(2)} µs per span (median of the rounds' differences); baseline ÷ X-Ray ${(b / x).toFixed(3)}`);
plain.close();
xray.close();
