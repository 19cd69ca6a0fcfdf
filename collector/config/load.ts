/**
 * Loads a collector config in the OpenTelemetry Collector's layout:
 *
 *   receivers / processors / exporters / extensions:  <type>[/<name>]: { ...component config }
 *   service:
 *     extensions: [ids]
 *     pipelines:  traces[/<name>]: { receivers: [ids], processors: [ids], exporters: [ids] }
 *     telemetry:  { logs: { level }, metrics: { level, address | readers } }
 *
 * Everything is checked before anything starts and every problem is reported by its path, so a
 * bad file fails once with the full list (ConfigError). Component types resolve through the
 * factories registry (collector/components.ts), aliases included; each factory validates its own
 * section. Pipelines of other signals are skipped with a warning: this collector handles traces.
 */
import fs from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { Factory, ComponentKind, ExtensionCapability } from '../component/component.js';
import { builtinFactories } from '../components.js';
import { ConfigError, ConfigIssues, type ConfigIssue } from './issues.js';
import { expandEnv, type Env } from './envsubst.js';
import { isPlainObject, join, readEndpoint, readEnum, readInt, readObject, readString, readStringList } from './validate.js';

export type AnyFactory = Factory<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ComponentConfig {
  /** The ID as written: `otlp`, `otlp/backend`, `logging`. */
  id: string;
  /** The resolved (canonical) type: `debug` for `logging`. */
  type: string;
  name?: string;
  kind: ComponentKind;
  factory: AnyFactory;
  /** The factory's typed config (defaults filled in). */
  config: unknown;
}

export interface PipelineConfig {
  /** `traces` or `traces/<name>`. */
  id: string;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type MetricsLevel = 'none' | 'basic' | 'normal' | 'detailed';

export interface TelemetryConfig {
  logs: { level: LogLevel };
  /** `endpoint` null when `level: none` (no /metrics server). */
  metrics: { level: MetricsLevel; endpoint: string | null };
}

export interface LoadedConfig {
  /** Only the components that traces pipelines (or service.extensions) use, by ID. */
  receivers: Map<string, ComponentConfig>;
  processors: Map<string, ComponentConfig>;
  exporters: Map<string, ComponentConfig>;
  extensions: Map<string, ComponentConfig>;
  service: {
    extensions: string[];
    pipelines: PipelineConfig[];
    telemetry: TelemetryConfig;
  };
  warnings: ConfigIssue[];
}

export interface LoadOptions {
  factories?: readonly AnyFactory[];
}

const SECTIONS = ['receivers', 'processors', 'exporters', 'extensions'] as const;
type Section = (typeof SECTIONS)[number];
const SECTION_KIND: Record<Section, ComponentKind> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
};
const TYPE_RE = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;

/**
 * Extensions the Collector deprecated and later removed, which 0.5x-0.9x configs still list:
 * accepted with a warning and not started (they have nothing to do here).
 */
export const RETIRED_EXTENSIONS: Readonly<Record<string, string>> = {
  memory_ballast: 'deprecated by the Collector in v0.92 and removed since (a Go garbage-collector aid); nothing to do in Node.js, ignored',
};
const SIGNALS = ['traces', 'metrics', 'logs', 'profiles'];

/** Splits `type[/name]`; undefined (with an error) when malformed. */
export function parseComponentId(id: string, path: string, issues: ConfigIssues): { type: string; name?: string } | undefined {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? undefined : id.slice(slash + 1);
  if (!TYPE_RE.test(type)) {
    issues.error(path, `invalid component type "${type}": must start with a letter and contain only letters, digits and _`);
    return undefined;
  }
  if (name !== undefined && (name === '' || /[\s/]/.test(name))) {
    issues.error(path, `invalid component name "${name}" in "${id}": must be non-empty, without spaces or /`);
    return undefined;
  }
  return { type, name };
}

/**
 * Deep-merges YAML documents like the Collector does with several --config files: mappings
 * merge key by key, later files win, lists and scalars are replaced.
 */
export function mergeConfigs(docs: unknown[]): unknown {
  let acc: unknown = undefined;
  for (const d of docs) acc = mergeTwo(acc, d);
  return acc;
}

function mergeTwo(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeTwo(out[k], v) : v;
    return out;
  }
  return b;
}

function parseYamlText(text: string, source: string, issues: ConfigIssues): unknown {
  // merge: YAML `<<` merge keys, which go-yaml (the Collector's parser) supports.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) issues.error(source, `YAML syntax error: ${e.message.split('\n')[0]}`);
    return undefined;
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

/** Parses and validates one config text. Throws ConfigError listing every problem. */
export function parseConfigText(text: string, env: Env = process.env, opts: LoadOptions = {}): LoadedConfig {
  return parseConfigTexts([{ text, source: 'config' }], env, opts);
}

/** Several texts merged in order (later wins), as `--config a.yaml --config b.yaml`. */
export function parseConfigTexts(
  texts: { text: string; source: string }[],
  env: Env = process.env,
  opts: LoadOptions = {},
): LoadedConfig {
  const issues = new ConfigIssues();
  const docs = texts.map((t) => parseYamlText(t.text, t.source, issues));
  if (!issues.ok) throw new ConfigError(issues.errors);
  const merged = mergeConfigs(docs);
  const expanded = expandEnv(merged ?? {}, '', env, issues);
  const cfg = resolveConfig(expanded, issues, opts.factories ?? builtinFactories);
  if (!issues.ok) throw new ConfigError(issues.errors);
  return cfg;
}

export async function loadConfigFile(path: string, env: Env = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  return loadConfigFiles([path], env, opts);
}

export async function loadConfigFiles(paths: string[], env: Env = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const texts: { text: string; source: string }[] = [];
  const errors: ConfigIssue[] = [];
  for (const p of paths) {
    try {
      texts.push({ text: await fs.readFile(p, 'utf8'), source: p });
    } catch (e) {
      errors.push({ path: p, message: `cannot read config file: ${(e as Error).message}` });
    }
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return parseConfigTexts(texts, env, opts);
}

function findFactory(factories: readonly AnyFactory[], kind: ComponentKind, type: string): { factory: AnyFactory; alias: boolean } | undefined {
  for (const f of factories) if (f.kind === kind && f.type === type) return { factory: f, alias: false };
  for (const f of factories) if (f.kind === kind && f.aliases?.includes(type)) return { factory: f, alias: true };
  return undefined;
}

function supportedTypes(factories: readonly AnyFactory[], kind: ComponentKind): string {
  const names = factories.filter((f) => f.kind === kind).map((f) => f.type);
  return names.length > 0 ? names.sort().join(', ') : 'none';
}

function resolveConfig(raw: unknown, issues: ConfigIssues, factories: readonly AnyFactory[]): LoadedConfig {
  const top = readObject(raw, 'config', issues, [...SECTIONS, 'service', 'connectors']);
  if (isPlainObject(top.connectors) && Object.keys(top.connectors).length > 0) {
    issues.error('connectors', 'connectors are not supported by this collector');
  }

  // The service section is read first (to know which components are used) but its problems are
  // listed after the components', in the order of the file.
  const svcIssues = new ConfigIssues();
  const service = readObject(top.service, 'service', svcIssues, ['extensions', 'pipelines', 'telemetry']);
  const pipelines = readPipelines(service.pipelines, svcIssues);
  const serviceExtensions = readStringList(service.extensions, 'service.extensions', svcIssues);
  const telemetry = readTelemetry(service.telemetry, svcIssues);

  // Which IDs traces pipelines / service.extensions use: only those must resolve to a factory.
  const used: Record<Section, Set<string>> = {
    receivers: new Set(),
    processors: new Set(),
    exporters: new Set(),
    extensions: new Set(serviceExtensions),
  };
  for (const p of pipelines.traces) {
    p.receivers.forEach((id) => used.receivers.add(id));
    p.processors.forEach((id) => used.processors.add(id));
    p.exporters.forEach((id) => used.exporters.add(id));
  }

  const resolved: Record<Section, Map<string, ComponentConfig>> = {
    receivers: new Map(),
    processors: new Map(),
    exporters: new Map(),
    extensions: new Map(),
  };
  const defined: Record<Section, Set<string>> = {
    receivers: new Set(),
    processors: new Set(),
    exporters: new Set(),
    extensions: new Set(),
  };
  const retired = new Set<string>();
  for (const section of SECTIONS) {
    const entries = top[section];
    if (entries === undefined || entries === null) continue;
    if (!isPlainObject(entries)) {
      issues.error(section, `expected a mapping of component IDs, got ${Array.isArray(entries) ? 'a list' : typeof entries}`);
      continue;
    }
    const kind = SECTION_KIND[section];
    for (const [id, compRaw] of Object.entries(entries)) {
      const path = join(section, id);
      defined[section].add(id);
      const parsedId = parseComponentId(id, path, issues);
      if (!parsedId) continue;
      if (section === 'extensions' && Object.prototype.hasOwnProperty.call(RETIRED_EXTENSIONS, parsedId.type)) {
        issues.warn(path, RETIRED_EXTENSIONS[parsedId.type]!);
        retired.add(id);
        continue;
      }
      const found = findFactory(factories, kind, parsedId.type);
      if (!found) {
        if (used[section].has(id)) {
          issues.error(path, `unsupported ${kind} type "${parsedId.type}" (supported: ${supportedTypes(factories, kind)})`);
        } else {
          issues.warn(path, `unsupported ${kind} type "${parsedId.type}" ignored: no traces pipeline uses it`);
        }
        continue;
      }
      const { factory, alias } = found;
      if (alias) {
        issues.warn(path, `"${parsedId.type}" is the old name of the "${factory.type}" ${kind}; accepted, please rename it to "${factory.type}"`);
      }
      let config: unknown;
      try {
        config = factory.parseConfig(compRaw, path, issues);
      } catch (e) {
        // Factories must not throw; if one does, report it as a problem of that section.
        issues.error(path, `invalid configuration: ${(e as Error).message}`);
        continue;
      }
      if (used[section].has(id)) {
        resolved[section].set(id, { id, type: factory.type, name: parsedId.name, kind, factory, config });
      }
    }
  }

  issues.errors.push(...svcIssues.errors);
  issues.warnings.push(...svcIssues.warnings);

  // Cross-references.
  serviceExtensions.forEach((id, i) => {
    if (!defined.extensions.has(id)) issues.error(`service.extensions[${i}]`, `references extension "${id}" which is not configured`);
  });
  for (const p of pipelines.traces) {
    const base = `service.pipelines.${p.id}`;
    checkRefs(p.receivers, 'receiver', defined.receivers, join(base, 'receivers'), issues);
    checkRefs(p.processors, 'processor', defined.processors, join(base, 'processors'), issues);
    checkRefs(p.exporters, 'exporter', defined.exporters, join(base, 'exporters'), issues);
    if (p.receivers.length === 0) issues.error(base, 'must have at least one receiver');
    if (p.exporters.length === 0) issues.error(base, 'must have at least one exporter');
  }
  if (pipelines.traces.length === 0) {
    issues.error('service.pipelines', 'no traces pipeline configured (this collector handles traces)');
  }
  checkExtensionRefs(resolved, new Set(serviceExtensions), defined.extensions, issues);

  return {
    receivers: resolved.receivers,
    processors: resolved.processors,
    exporters: resolved.exporters,
    extensions: resolved.extensions,
    service: { extensions: serviceExtensions.filter((id) => !retired.has(id)), pipelines: pipelines.traces, telemetry },
    warnings: issues.warnings,
  };
}

const CAPABILITY_NAME: Record<ExtensionCapability, string> = {
  client_auth: 'an authenticator (client auth) extension',
  grpc_client_auth: 'an authenticator for gRPC clients',
  storage: 'a storage extension',
};

/** Why an extension lacks a capability, when the reason is worth saying (an HTTP-only signer on gRPC). */
function capabilityHint(has: readonly ExtensionCapability[], wanted: ExtensionCapability): string {
  if (wanted === 'grpc_client_auth' && has.includes('client_auth')) {
    return ': it authenticates HTTP requests only (use it with the otlphttp exporter)';
  }
  return '';
}

/**
 * Every extension a used component refers to (auth.authenticator, sending_queue.storage) must be
 * configured, enabled in service.extensions (the Collector only starts those) and offer what the
 * reference needs; each problem is an error at the referencing key's path.
 */
function checkExtensionRefs(
  resolved: Record<Section, Map<string, ComponentConfig>>,
  enabled: Set<string>,
  defined: Set<string>,
  issues: ConfigIssues,
): void {
  for (const section of ['receivers', 'processors', 'exporters'] as const) {
    for (const [id, c] of resolved[section]) {
      for (const ref of c.factory.extensionRefs?.(c.config, join(section, id)) ?? []) {
        if (!defined.has(ref.id)) {
          issues.error(ref.path, `references extension "${ref.id}" which is not configured`);
        } else if (!enabled.has(ref.id)) {
          issues.error(ref.path, `references extension "${ref.id}" which is not enabled: add it to service.extensions`);
        } else {
          const ext = resolved.extensions.get(ref.id);
          const has = ext?.factory.capabilities ?? [];
          if (ext && !has.includes(ref.capability)) {
            issues.error(ref.path, `extension "${ref.id}" (type ${ext.type}) is not ${CAPABILITY_NAME[ref.capability]}${capabilityHint(has, ref.capability)}`);
          }
        }
      }
    }
  }
}

function checkRefs(ids: string[], kind: string, defined: Set<string>, path: string, issues: ConfigIssues): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (!defined.has(id)) issues.error(`${path}[${i}]`, `references ${kind} "${id}" which is not configured`);
    if (seen.has(id)) issues.error(`${path}[${i}]`, `references ${kind} "${id}" more than once`);
    seen.add(id);
  });
}

function readPipelines(raw: unknown, issues: ConfigIssues): { traces: PipelineConfig[] } {
  const traces: PipelineConfig[] = [];
  if (raw === undefined || raw === null) return { traces };
  if (!isPlainObject(raw)) {
    issues.error('service.pipelines', 'expected a mapping of pipeline IDs');
    return { traces };
  }
  for (const [id, p] of Object.entries(raw)) {
    const path = join('service.pipelines', id);
    const parsed = parseComponentId(id, path, issues);
    if (!parsed) continue;
    if (!SIGNALS.includes(parsed.type)) {
      issues.error(path, `unknown pipeline type "${parsed.type}" (expected traces, metrics, logs or profiles)`);
      continue;
    }
    if (parsed.type !== 'traces') {
      issues.warn(path, `${parsed.type} pipeline skipped: this collector handles traces only`);
      continue;
    }
    const o = readObject(p, path, issues, ['receivers', 'processors', 'exporters']);
    traces.push({
      id,
      receivers: readStringList(o.receivers, join(path, 'receivers'), issues),
      processors: readStringList(o.processors, join(path, 'processors'), issues),
      exporters: readStringList(o.exporters, join(path, 'exporters'), issues),
    });
  }
  return { traces };
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'dpanic', 'panic', 'fatal'] as const;
const METRICS_LEVELS = ['none', 'basic', 'normal', 'detailed'] as const;
export const DEFAULT_METRICS_ENDPOINT = 'localhost:8888';

function readTelemetry(raw: unknown, issues: ConfigIssues): TelemetryConfig {
  const t = readObject(raw, 'service.telemetry', issues, ['logs', 'metrics', 'traces', 'resource']);
  for (const ignored of ['traces', 'resource'] as const) {
    if (t[ignored] !== undefined) issues.warn(join('service.telemetry', ignored), 'not supported by this collector; ignored');
  }

  const logsPath = 'service.telemetry.logs';
  const ZAP_ONLY = ['development', 'encoding', 'disable_caller', 'disable_stacktrace', 'sampling', 'output_paths', 'error_output_paths', 'initial_fields', 'processors'];
  const logs = readObject(t.logs, logsPath, issues, ['level', ...ZAP_ONLY]);
  for (const k of ZAP_ONLY) {
    if (logs[k] !== undefined) issues.warn(join(logsPath, k), 'not supported (logs are JSON lines on stdout); ignored');
  }
  let level = readEnum(logs.level, join(logsPath, 'level'), issues, LOG_LEVELS, 'info') as string;
  if (level === 'dpanic' || level === 'panic') level = 'fatal';

  const mPath = 'service.telemetry.metrics';
  // `address` is the 0.5x-0.10x form, deprecated by the Collector in v0.111 and ignored since
  // v0.123; meshtrace still serves /metrics there (the config's intent), with a warning.
  const metrics = readObject(t.metrics, mPath, issues, ['level', 'readers', 'views'], {
    address: "ignored by the Collector since v0.123 (meshtrace still honours it); use 'readers: [{ pull: { exporter: { prometheus: { host, port } } } }]'",
  });
  if (metrics.views !== undefined) issues.warn(join(mPath, 'views'), 'not supported; ignored');
  const mLevel = readEnum(metrics.level, join(mPath, 'level'), issues, METRICS_LEVELS, 'normal');
  let endpoint: string | null = DEFAULT_METRICS_ENDPOINT;
  if (metrics.address !== undefined && metrics.address !== null) {
    endpoint = readEndpoint(metrics.address, join(mPath, 'address'), issues, DEFAULT_METRICS_ENDPOINT);
  }
  if (metrics.readers !== undefined && metrics.readers !== null) {
    const fromReaders = readPullReaders(metrics.readers, join(mPath, 'readers'), issues);
    if (fromReaders !== undefined) {
      if (metrics.address !== undefined && metrics.address !== null) {
        issues.warn(join(mPath, 'address'), `ignored: 'readers' is set and wins (serving on ${fromReaders})`);
      }
      endpoint = fromReaders;
    }
  }
  if (mLevel === 'none') endpoint = null;
  return { logs: { level: level as LogLevel }, metrics: { level: mLevel, endpoint } };
}

/**
 * The newer form: `readers: [{ pull: { exporter: { prometheus: { host, port } } } }]`. One pull
 * Prometheus reader is served; periodic (push) readers are not supported.
 */
function readPullReaders(raw: unknown, path: string, issues: ConfigIssues): string | undefined {
  if (!Array.isArray(raw)) {
    issues.error(path, 'expected a list of readers');
    return undefined;
  }
  let endpoint: string | undefined;
  raw.forEach((r, i) => {
    const rPath = `${path}[${i}]`;
    const reader = readObject(r, rPath, issues, ['pull', 'periodic']);
    if (reader.periodic !== undefined) {
      issues.error(join(rPath, 'periodic'), 'periodic (push) metric readers are not supported; use a pull prometheus reader');
      return;
    }
    const pull = readObject(reader.pull, join(rPath, 'pull'), issues, ['exporter']);
    const exporter = readObject(pull.exporter, join(rPath, 'pull.exporter'), issues, ['prometheus']);
    const pPath = join(rPath, 'pull.exporter.prometheus');
    const prom = readObject(exporter.prometheus, pPath, issues, [
      'host',
      'port',
      'without_units',
      'without_type_suffix',
      'without_scope_info',
      'with_resource_constant_labels',
    ]);
    if (exporter.prometheus === undefined) {
      issues.error(join(rPath, 'pull.exporter'), 'expected a prometheus exporter');
      return;
    }
    const host = readString(prom.host, join(pPath, 'host'), issues, 'localhost');
    const port = readInt(prom.port, join(pPath, 'port'), issues, 8888, { min: 0, max: 65535 });
    if (endpoint !== undefined) {
      issues.error(rPath, 'only one pull prometheus reader is supported');
      return;
    }
    endpoint = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  });
  return endpoint;
}
