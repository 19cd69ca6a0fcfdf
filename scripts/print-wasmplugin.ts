/**
 * Prints the Istio WasmPlugin resource for the filter module just built, so that what a user
 * applies always matches the module: with an http(s):// or file:// URL the module's sha256 is
 * computed from build/meshtrace-filter.wasm (Istio verifies the download against it).
 *
 *   npm run --silent wasmplugin -- [--url URL] [--namespace NS] [--gateway | --waypoint NAME]
 *                                  [--name NAME] [--selector key=value]... [--wasm PATH]
 *   npm run --silent wasmplugin -- --template FILE [--url URL] [--wasm PATH]
 *
 * `--template` fills a committed template instead (wasmplugin/wasmplugin-https.template.yaml):
 * its `sha256: ${MODULE_SHA256}` placeholder gets the module's digest and `--url`, if given,
 * replaces spec.url; comments stay.
 *
 * `--silent` keeps npm's banner out of stdout, so the output can be piped to kubectl:
 *   npm run --silent wasmplugin -- --namespace bookinfo | kubectl apply -f -
 *
 * For oci:// URLs no sha256 is printed: Istio compares that field with the image's digest, not
 * the module's, so pin an image by writing its digest into the URL (`...@sha256:<digest>`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseDocument, stringify } from 'yaml';

/** The filter's root id (filter/index.ts registers it); Istio's `pluginName`. */
export const PLUGIN_NAME = 'meshtrace';
export const DEFAULT_WASM_PATH = 'build/meshtrace-filter.wasm';
export const DEFAULT_OCI_URL = 'oci://ghcr.io/example/meshtrace-filter:0.1.0';
export const GATEWAY_SELECTOR: Readonly<Record<string, string>> = Object.freeze({ istio: 'ingressgateway' });
/** What a WasmPlugin's `targetRefs` names to reach an ambient waypoint: its Gateway API Gateway. */
export const WAYPOINT_TARGET = Object.freeze({ kind: 'Gateway', group: 'gateway.networking.k8s.io' });

/**
 * Every filter option with its default (README.md and docs/filter.md list them);
 * `gateway` is switched on for the gateway resource. The order is the order printed.
 */
export const FILTER_DEFAULTS = Object.freeze({
  direction: 'auto',
  gateway: false,
  propagation: Object.freeze(['tracecontext', 'b3multi']),
  generate_request_id: true,
  response_request_id: true,
  kind_header: 'x-meshtrace-kind',
  direction_header: 'x-meshtrace-direction',
  heal: true,
  heal_slots: 8192,
  heal_ttl_seconds: 60,
  healed_header: 'x-meshtrace-healed',
  healed_trace_header: 'x-meshtrace-healed-trace',
});

export interface RenderOptions {
  url: string;
  /** Lower-case hex sha256 of the module; required for http(s):// and file:// URLs. */
  sha256?: string;
  namespace?: string;
  gateway: boolean;
  name?: string;
  /** matchLabels; empty = every workload of the namespace. */
  selector?: Record<string, string>;
  /**
   * An ambient waypoint's name: the plugin reaches it through `targetRefs` (a waypoint has no
   * pod selector Istio would apply to it), in the waypoint's namespace.
   */
  waypoint?: string;
}

export class UsageError extends Error {}

/** `http(s)://` and `file://` URLs name the module itself, so its digest can pin it. */
export function urlNeedsModuleDigest(url: string): boolean {
  return /^(https?|file):\/\//i.test(url);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The WasmPlugin as a plain object (kept in a fixed key order so the printed YAML reads well). */
export function buildWasmPlugin(opts: RenderOptions): Record<string, unknown> {
  if (!/^(oci|https?|file):\/\/\S+$/i.test(opts.url)) {
    throw new UsageError(`--url: expected an oci://, https://, http:// or file:// URL, got ${JSON.stringify(opts.url)}`);
  }
  const needsDigest = urlNeedsModuleDigest(opts.url);
  if (needsDigest && !(opts.sha256 && /^[0-9a-f]{64}$/.test(opts.sha256))) {
    throw new UsageError(`a ${opts.url.split(':')[0]} URL needs the module's sha256 (64 lower-case hex digits)`);
  }
  if (opts.waypoint !== undefined) {
    if (opts.gateway) throw new UsageError('--waypoint and --gateway exclude each other (a waypoint is detected by its node id)');
    if (opts.selector && Object.keys(opts.selector).length > 0) throw new UsageError('--waypoint and --selector exclude each other (a WasmPlugin has targetRefs or a selector)');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.waypoint)) throw new UsageError(`--waypoint: expected a Gateway name, got ${JSON.stringify(opts.waypoint)}`);
  }
  const selector = opts.selector ?? (opts.gateway ? { ...GATEWAY_SELECTOR } : undefined);
  const namespace = opts.namespace ?? (opts.gateway ? 'istio-system' : undefined);
  const defaultName = opts.gateway ? 'meshtrace-gateway' : opts.waypoint !== undefined ? 'meshtrace-waypoint' : 'meshtrace';
  const metadata: Record<string, unknown> = { name: opts.name ?? defaultName };
  if (namespace) metadata.namespace = namespace;
  metadata.labels = { 'app.kubernetes.io/name': 'meshtrace-filter', 'app.kubernetes.io/part-of': 'meshtrace' };

  const spec: Record<string, unknown> = {};
  if (selector && Object.keys(selector).length > 0) spec.selector = { matchLabels: selector };
  if (opts.waypoint !== undefined) spec.targetRefs = [{ ...WAYPOINT_TARGET, name: opts.waypoint }];
  spec.url = opts.url;
  if (needsDigest) spec.sha256 = opts.sha256;
  spec.imagePullPolicy = 'IfNotPresent';
  spec.pluginName = PLUGIN_NAME;
  spec.type = 'HTTP';
  spec.phase = 'AUTHN';
  spec.priority = 1000;
  spec.failStrategy = 'FAIL_OPEN';
  // A sidecar's plugin serves both directions; a gateway's or a waypoint's has one listener kind.
  if (!opts.gateway && opts.waypoint === undefined) spec.match = [{ mode: 'CLIENT_AND_SERVER' }];
  spec.pluginConfig = {
    ...FILTER_DEFAULTS,
    propagation: [...FILTER_DEFAULTS.propagation],
    gateway: opts.gateway,
    // A waypoint sees every request as inbound, so nothing would ever be looked up: remembering
    // contexts there would cost a host call per request for nothing (docs/filter.md, healing).
    heal: opts.waypoint === undefined ? FILTER_DEFAULTS.heal : false,
  };
  return { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata, spec };
}

export function renderWasmPlugin(opts: RenderOptions): string {
  const head = [
    '# Generated by `npm run wasmplugin` (scripts/print-wasmplugin.ts).',
    '# phase AUTHN: the filter runs before every Istio filter that reads or forwards trace headers',
    '# and before filters that may answer locally, so every traced request carries the stamps.',
  ];
  if (!urlNeedsModuleDigest(opts.url)) {
    head.push('# oci:// URL: pin the image by digest (url: oci://...@sha256:<digest>) for reproducible rollouts.');
  }
  return `${head.join('\n')}\n${stringify(buildWasmPlugin(opts), { lineWidth: 0 })}`;
}

/** The placeholder a template carries where the module's sha256 goes. */
export const SHA256_PLACEHOLDER = '${MODULE_SHA256}';

/**
 * A WasmPlugin template with its sha256 placeholder filled (and spec.url replaced when `url` is
 * given). Refuses a template without the placeholder: a committed digest would be stale.
 */
export function fillTemplate(text: string, sha256: string, url?: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new UsageError(`--template: ${doc.errors[0]!.message}`);
  if (doc.getIn(['spec', 'sha256']) !== SHA256_PLACEHOLDER) {
    throw new UsageError(`--template: spec.sha256 must be the placeholder ${SHA256_PLACEHOLDER}`);
  }
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError('the module digest must be 64 lower-case hex digits');
  doc.setIn(['spec', 'sha256'], sha256);
  if (url !== undefined) {
    if (!urlNeedsModuleDigest(url)) throw new UsageError(`--url: a template with a sha256 needs an https://, http:// or file:// URL, got ${JSON.stringify(url)}`);
    doc.setIn(['spec', 'url'], url);
  }
  return doc.toString({ lineWidth: 0 });
}

const HELP = `Usage: npm run --silent wasmplugin -- [options]
  --url URL            module location: oci://..., https://... or file://... (default ${DEFAULT_OCI_URL})
  --namespace NS       metadata.namespace (default: none for workloads, istio-system with --gateway)
  --gateway            the ingress gateway's plugin (gateway: true, selector istio=ingressgateway)
  --waypoint NAME      an ambient waypoint's plugin (targetRefs: the Gateway NAME; use its --namespace)
  --name NAME          metadata.name (default meshtrace, or meshtrace-gateway)
  --selector KEY=VAL   workload selector label (repeatable; default: every workload of the namespace)
  --wasm PATH          the built module whose sha256 goes into http(s)/file plugins (default ${DEFAULT_WASM_PATH})
  --template FILE      fill FILE's sha256 placeholder (${SHA256_PLACEHOLDER}) with the module's digest
                       (and its spec.url with --url, if given) instead of generating the resource
  --help               this text`;

export interface CliOptions extends Omit<RenderOptions, 'sha256'> {
  wasmPath: string;
  help: boolean;
  template?: string;
  /** Whether --url was given (a template keeps its own URL otherwise). */
  urlGiven?: boolean;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const out: CliOptions = { url: DEFAULT_OCI_URL, gateway: false, wasmPath: DEFAULT_WASM_PATH, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--url': out.url = value(i++, arg); out.urlGiven = true; break;
      case '--template': out.template = value(i++, arg); break;
      case '--namespace': out.namespace = value(i++, arg); break;
      case '--name': out.name = value(i++, arg); break;
      case '--waypoint': out.waypoint = value(i++, arg); break;
      case '--wasm': out.wasmPath = value(i++, arg); break;
      case '--gateway': out.gateway = true; break;
      case '--help': case '-h': out.help = true; break;
      case '--selector': {
        const kv = value(i++, arg);
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageError(`--selector: expected key=value, got ${JSON.stringify(kv)}`);
        out.selector = { ...(out.selector ?? {}), [kv.slice(0, eq)]: kv.slice(eq + 1) };
        break;
      }
      default: throw new UsageError(`unknown option ${JSON.stringify(arg)} (see --help)`);
    }
  }
  if (!out.urlGiven) delete out.urlGiven;
  return out;
}

/** Reads the module only when the URL needs its digest, so oci:// output works before a build. */
export function main(
  argv: readonly string[],
  readModule: (path: string) => Uint8Array = (p) => readFileSync(p),
  readTemplate: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): string {
  const cli = parseArgs(argv);
  if (cli.help) return `${HELP}\n`;
  const moduleDigest = (): string => {
    try {
      return sha256Hex(readModule(cli.wasmPath));
    } catch (err) {
      throw new UsageError(`cannot read ${cli.wasmPath} (${(err as Error).message}); build it first: npm run build:filter`);
    }
  };
  if (cli.template !== undefined) {
    let text: string;
    try {
      text = readTemplate(cli.template);
    } catch (err) {
      throw new UsageError(`cannot read --template ${cli.template} (${(err as Error).message})`);
    }
    return fillTemplate(text, moduleDigest(), cli.urlGiven ? cli.url : undefined);
  }
  const sha256 = urlNeedsModuleDigest(cli.url) ? moduleDigest() : undefined;
  const { wasmPath: _w, help: _h, template: _t, urlGiven: _u, ...render } = cli;
  return renderWasmPlugin({ ...render, sha256 });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`print-wasmplugin: ${(err as Error).message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
