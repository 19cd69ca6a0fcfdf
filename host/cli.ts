#!/usr/bin/env node
/**
 * meshtrace-filter: run the built filter (.wasm) in the proxy-wasm host and show what it does to
 * a request, before deploying it to istio-proxy (issue 3, "Try it without Envoy"). With --jsonl
 * all lines run in one emulated Envoy process, sharing its shared data (issue 11).
 *
 *   meshtrace-filter [--wasm PATH] [--config JSON] [--direction inbound|outbound] [--cluster NAME]
 *                    [--node ID] [-H 'name: value']... [-R 'name: value']...
 *   meshtrace-filter --jsonl [--wasm PATH] < requests.jsonl
 *
 * Output: one JSON line per request, {"requestHeaders": [[name, value], ...],
 * "responseHeaders": [...], "logs": [...]} as the filter left them. A bad input line gives
 * {"line": N, "error": "..."} and the next line is processed. Exit status: 0 all requests ran,
 * 1 some input was bad, 2 the module could not be loaded or usage was wrong.
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProxyWasmHost, ProxyWasmLoadError, type HeaderList, type LogEntry } from './host.js';
import { SharedDataStore } from './shared-data.js';
import type { PropertyValue } from './properties.js';

const DEFAULT_WASM = 'build/meshtrace-filter.wasm';
const ROOT_ID = 'meshtrace';
const MAX_CACHED_CONFIGS = 16;
/** The vm_id of every VM the command runs: they share their shared data, as one Envoy's VMs do. */
const VM_ID = 'meshtrace';

const USAGE = `Usage:
  meshtrace-filter [options] [-H 'name: value']...        run one request
  meshtrace-filter --jsonl [--wasm PATH] < requests.jsonl  one request per input line

Options:
  --wasm PATH                 module to run (default ${DEFAULT_WASM})
  --config JSON               plugin configuration (WasmPlugin pluginConfig), e.g. '{"gateway":true}'
  --direction inbound|outbound  sets xds.listener_direction (1 / 2)
  --cluster NAME              sets xds.cluster_name, e.g. 'outbound|9080||reviews.default.svc.cluster.local'
  --node ID                   sets xds.node.id, e.g. 'router~10.0.0.1~gw.istio-system~...'
  --root-id ID                root id / WasmPlugin pluginName (default ${ROOT_ID})
  -H, --header 'name: value'  request header (repeatable; order and repeats kept)
  -R, --response-header 'name: value'  response header (repeatable; default ':status: 200')
  --jsonl                     read {"direction","cluster","node","config","requestHeaders","responseHeaders"}
                              per line; headers as an object or a list of [name, value] pairs. Lines run in
                              one Envoy process: lines with the same config and node in one VM, and every VM
                              shares the process's shared data (an inbound line's context heals a later
                              outbound line with the same x-request-id)
  -h, --help                  this text

Output: one JSON line per request: {"requestHeaders": [[name, value], ...], "responseHeaders": [...], "logs": [...]}`;

export class InputError extends Error {}

export interface RequestSpec {
  direction?: 'inbound' | 'outbound';
  cluster?: string;
  node?: string;
  config?: unknown;
  requestHeaders?: HeaderList;
  responseHeaders?: HeaderList;
}

/** Validates headers given as an object or as [name, value] pairs. */
export function parseHeaders(value: unknown, field: string): HeaderList {
  if (Array.isArray(value)) {
    return value.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new InputError(`${field}[${i}]: expected a [name, value] pair of strings`);
      }
      if (pair[0].length === 0) throw new InputError(`${field}[${i}]: empty header name`);
      return [pair[0], pair[1]] as [string, string];
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => {
      if (typeof v === 'string') return [[k, v] as [string, string]];
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x) => [k, x] as [string, string]);
      throw new InputError(`${field}.${k}: expected a string or a list of strings`);
    });
  }
  throw new InputError(`${field}: expected an object or a list of [name, value] pairs`);
}

/** Validates one JSONL request object. */
export function parseRequestSpec(value: unknown): RequestSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('expected a JSON object');
  const v = value as Record<string, unknown>;
  const known = new Set(['direction', 'cluster', 'node', 'config', 'requestHeaders', 'responseHeaders']);
  const unknown = Object.keys(v).filter((k) => !known.has(k));
  if (unknown.length) throw new InputError(`unknown field(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const spec: RequestSpec = {};
  if (v.direction !== undefined) {
    if (v.direction !== 'inbound' && v.direction !== 'outbound') throw new InputError(`direction: expected "inbound" or "outbound", got ${JSON.stringify(v.direction)}`);
    spec.direction = v.direction;
  }
  for (const k of ['cluster', 'node'] as const) {
    if (v[k] !== undefined) {
      if (typeof v[k] !== 'string') throw new InputError(`${k}: expected a string`);
      spec[k] = v[k] as string;
    }
  }
  if (v.config !== undefined) spec.config = v.config;
  if (v.requestHeaders !== undefined) spec.requestHeaders = parseHeaders(v.requestHeaders, 'requestHeaders');
  if (v.responseHeaders !== undefined) spec.responseHeaders = parseHeaders(v.responseHeaders, 'responseHeaders');
  return spec;
}

export function propertiesFor(spec: RequestSpec): Record<string, PropertyValue> {
  const props: Record<string, PropertyValue> = {};
  if (spec.direction) props['xds.listener_direction'] = spec.direction === 'inbound' ? 1n : 2n;
  if (spec.cluster !== undefined) props['xds.cluster_name'] = spec.cluster;
  if (spec.node !== undefined) props['xds.node'] = { id: spec.node };
  return props;
}

interface Output { requestHeaders: HeaderList; responseHeaders: HeaderList; logs: LogEntry[]; localResponse?: unknown; error?: string }

/**
 * Runs request specs the way one Envoy process would: a VM per distinct plugin configuration and
 * node (the filter reads both at configure time), all with one vm_id and one shared-data store.
 */
export class FilterRunner {
  private hosts = new Map<string, ProxyWasmHost>();
  private readonly shared = new SharedDataStore();
  constructor(private readonly wasm: Uint8Array | string, private readonly rootId = ROOT_ID) {}

  /** Loads the module (throws ProxyWasmLoadError) for `config` without running a request. */
  preload(config: unknown, node?: string): void {
    this.hostFor(config, node);
  }

  private pendingLogs = new Map<string, LogEntry[]>();

  // The node id is per proxy (a filter reads it at configure time), so a host is kept per
  // configuration AND node id, with the node given to the VM from the start.
  private hostFor(config: unknown, node?: string): { host: ProxyWasmHost; logs: LogEntry[]; rejected: boolean } {
    const key = JSON.stringify([config ?? null, node ?? null]);
    const cached = this.hosts.get(key);
    if (cached) {
      // Start/configure logs go out with the first request that uses this configuration.
      const logs = this.pendingLogs.get(key) ?? [];
      this.pendingLogs.delete(key);
      return { host: cached, logs, rejected: !cached.isConfigured };
    }
    const host = ProxyWasmHost.load(this.wasm, {
      rootId: this.rootId, pluginConfig: config === undefined ? undefined : config, sharedData: this.shared, vmId: VM_ID,
      properties: node === undefined ? undefined : { 'xds.node': { id: node } },
    });
    const configured = host.configure();
    if (this.hosts.size >= MAX_CACHED_CONFIGS) this.hosts.delete(this.hosts.keys().next().value as string);
    this.hosts.set(key, host);
    this.pendingLogs.set(key, host.logs.slice());
    return this.hostFor(config, node);
  }

  run(spec: RequestSpec): Output {
    const { host, logs, rejected } = this.hostFor(spec.config, spec.node);
    if (rejected) {
      return { requestHeaders: spec.requestHeaders ?? [], responseHeaders: spec.responseHeaders ?? [[':status', '200']], logs: logs.length ? logs : host.logs, error: 'the filter rejected the plugin configuration (proxy_on_configure returned false)' };
    }
    const r = host.request({ properties: propertiesFor(spec), requestHeaders: spec.requestHeaders ?? [], responseHeaders: spec.responseHeaders ?? [[':status', '200']] });
    const out: Output = { requestHeaders: r.requestHeaders, responseHeaders: r.responseHeaders, logs: [...logs, ...r.logs] };
    if (r.localResponse) out.localResponse = r.localResponse;
    if (r.trapped) out.error = `the filter trapped; the request continued unchanged (fail-open): ${r.error}`;
    return out;
  }
}

function splitHeaderFlag(value: string, flag: string): [string, string] {
  // "name: value"; a pseudo-header keeps its leading colon (":path: /x").
  const start = value.startsWith(':') ? 1 : 0;
  const colon = value.indexOf(':', start);
  if (colon <= start) throw new InputError(`${flag} expects 'name: value', got ${JSON.stringify(value)}`);
  return [value.slice(0, colon).trim(), value.slice(colon + 1).trim()];
}

interface CliArgs { wasm: string; rootId: string; jsonl: boolean; help: boolean; spec: RequestSpec }

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { wasm: DEFAULT_WASM, rootId: ROOT_ID, jsonl: false, help: false, spec: {} };
  const req: HeaderList = [];
  const resp: HeaderList = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--wasm': args.wasm = next(); break;
      case '--jsonl': args.jsonl = true; break;
      case '-h': case '--help': args.help = true; break;
      case '--config': {
        const text = next();
        try { args.spec.config = JSON.parse(text); } catch (e) { throw new InputError(`--config is not JSON: ${(e as Error).message}`); }
        break;
      }
      case '--direction': {
        const d = next();
        if (d !== 'inbound' && d !== 'outbound') throw new InputError(`--direction expects inbound or outbound, got ${JSON.stringify(d)}`);
        args.spec.direction = d;
        break;
      }
      case '--cluster': args.spec.cluster = next(); break;
      case '--root-id': args.rootId = next(); break;
      case '--node': args.spec.node = next(); break;
      case '-H': case '--header': req.push(splitHeaderFlag(next(), a)); break;
      case '-R': case '--response-header': resp.push(splitHeaderFlag(next(), a)); break;
      default: throw new InputError(`unknown argument ${JSON.stringify(a)} (see --help)`);
    }
  }
  if (req.length) args.spec.requestHeaders = req;
  if (resp.length) args.spec.responseHeaders = resp;
  return args;
}

const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

export async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`meshtrace-filter: ${(e as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runner = new FilterRunner(resolve(args.wasm), args.rootId);
  try {
    // Load once up front so a bad module is reported before any input is read.
    runner.preload(args.spec.config, args.spec.node);
  } catch (e) {
    const msg = e instanceof ProxyWasmLoadError ? `cannot load ${args.wasm}: ${e.message}` : `cannot load ${args.wasm}: ${(e as Error).message}`;
    process.stderr.write(`meshtrace-filter: ${msg}\n`);
    return 2;
  }
  if (!args.jsonl) {
    line(runner.run(args.spec));
    return 0;
  }
  let bad = 0;
  let n = 0;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const text of rl) {
    n++;
    if (text.trim() === '') continue;
    try {
      let parsed: unknown;
      try { parsed = JSON.parse(text); } catch (e) { throw new InputError(`not JSON: ${(e as Error).message}`); }
      line(runner.run(parseRequestSpec(parsed)));
    } catch (e) {
      bad++;
      line({ line: n, error: e instanceof InputError ? e.message : `internal error: ${(e as Error).message}` });
    }
  }
  return bad ? 1 : 0;
}

// Run when executed directly (not when imported by tests).
// process.argv[1] may be the npm bin symlink, hence realpath.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`meshtrace-filter: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}
