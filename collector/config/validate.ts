/**
 * Shared validation helpers for component configs. Every reader takes the raw YAML value, the
 * full path of that value (`exporters.otlp.endpoint`) and the ConfigIssues collector; on bad input
 * it records one error at that path and returns the default, so a factory's parseConfig reads all
 * its keys and start-up lists every problem at once. `undefined` and `null` (a YAML key with no
 * value) mean "not set": the default is returned without an issue.
 *
 *   const o = readObject(raw, path, issues, ['endpoint', 'timeout'], { loglevel: "use 'verbosity'" });
 *   const endpoint = readEndpoint(o.endpoint, join(path, 'endpoint'), issues, 'localhost:4317');
 *   const timeoutMs = readDuration(o.timeout, join(path, 'timeout'), issues, 5000);
 */
import type { ConfigIssues } from './issues.js';

/** `a.b` + `c` → `a.b.c` (an empty base gives just the key). */
export function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

function isUnset(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/**
 * A value as a config error shows it. Errors go to the log and to whoever reads it: the
 * credentials of a URL or endpoint (`scheme://user:password@host`, `user:password@host:port`) are
 * masked; the rest is shown so the mistake can be found.
 */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(maskUserinfo(v));
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'a mapping';
  return String(v);
}

/** `scheme://user:password@host…` → `scheme://***@host…` (also without a scheme). */
export function maskUserinfo(text: string): string {
  return text.replace(USERINFO, '$1***@');
}
const USERINFO = /^((?:[a-zA-Z][a-zA-Z0-9+.-]*:)?\/\/)?[^/?#@\s]+@/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A mapping with known keys. Unknown keys are one error naming them, as the Collector's decoder
 * does (`has invalid keys: endpointt`). `deprecated` maps old key names to a hint (e.g.
 * "use 'verbosity' instead"): they are accepted with a warning and left in the result for the
 * caller to translate. Returns `{}` when unset or not a mapping (the latter is an error).
 */
export function readObject(
  raw: unknown,
  path: string,
  issues: ConfigIssues,
  knownKeys: readonly string[],
  deprecated: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (isUnset(raw)) return {};
  if (!isPlainObject(raw)) {
    issues.error(path, `expected a mapping, got ${show(raw)}`);
    return {};
  }
  const invalid: string[] = [];
  for (const key of Object.keys(raw)) {
    if (knownKeys.includes(key)) continue;
    if (Object.prototype.hasOwnProperty.call(deprecated, key)) {
      issues.warn(join(path, key), `deprecated option${deprecated[key] ? `, ${deprecated[key]}` : ''}`);
      continue;
    }
    invalid.push(key);
  }
  if (invalid.length > 0) {
    issues.error(path, `has invalid keys: ${invalid.join(', ')} (valid keys: ${knownKeys.join(', ') || 'none'})`);
  }
  return raw;
}

export function readString<D extends string | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  def: D,
  opts: { nonEmpty?: boolean } = {},
): string | D {
  if (isUnset(v)) return def;
  // Scalars are accepted as their text, as the Collector's weakly typed decoding does (a token
  // `${env:TOKEN}` that happens to be all digits is still a string field).
  if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
  if (typeof v !== 'string') {
    issues.error(path, `expected a string, got ${show(v)}`);
    return def;
  }
  if (opts.nonEmpty && v.trim() === '') {
    issues.error(path, 'must not be empty');
    return def;
  }
  return v as string;
}

export function readBool(v: unknown, path: string, issues: ConfigIssues, def: boolean): boolean {
  if (isUnset(v)) return def;
  if (typeof v !== 'boolean') {
    issues.error(path, `expected true or false, got ${show(v)}`);
    return def;
  }
  return v;
}

export interface RangeOpts {
  min?: number;
  max?: number;
}

function checkRange(n: number, path: string, issues: ConfigIssues, opts: RangeOpts): boolean {
  if (opts.min !== undefined && n < opts.min) {
    issues.error(path, `must be at least ${opts.min}, got ${n}`);
    return false;
  }
  if (opts.max !== undefined && n > opts.max) {
    issues.error(path, `must be at most ${opts.max}, got ${n}`);
    return false;
  }
  return true;
}

/** An integer, optionally within [min, max]. Numeric strings are not accepted (YAML gives numbers). */
export function readInt<D extends number | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  def: D,
  opts: RangeOpts = {},
): number | D {
  if (isUnset(v)) return def;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    issues.error(path, `expected an integer, got ${show(v)}`);
    return def;
  }
  return checkRange(v, path, issues, opts) ? v : def;
}

/** Any finite number, optionally within [min, max]. */
export function readNumber<D extends number | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  def: D,
  opts: RangeOpts = {},
): number | D {
  if (isUnset(v)) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    issues.error(path, `expected a number, got ${show(v)}`);
    return def;
  }
  return checkRange(v, path, issues, opts) ? v : def;
}

export function readEnum<T extends string, D extends T | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  allowed: readonly T[],
  def: D,
): T | D {
  if (isUnset(v)) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    issues.error(path, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
    return def;
  }
  return v as T;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration string (`200ms`, `5s`, `1m30s`, `1.5h`) into milliseconds, as the
 * Collector's config does (time.ParseDuration); `0` alone is accepted. Undefined when invalid.
 */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  let neg = false;
  if (t.startsWith('-') || t.startsWith('+')) {
    neg = t[0] === '-';
    pos = 1;
  }
  if (pos >= t.length) return undefined;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) return undefined;
    total += parseFloat(m[1]) * DURATION_UNITS_MS[m[2]];
    pos = re.lastIndex;
  }
  return neg ? -total : total;
}

/**
 * A duration (`200ms`, `5s`, `1m`) returned in milliseconds. Bare numbers other than 0 are refused:
 * in the Collector they would silently be nanoseconds.
 */
export function readDuration<D extends number | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  defMs: D,
  opts: RangeOpts & { allowZero?: boolean } = {},
): number | D {
  if (isUnset(v)) return defMs;
  let ms: number | undefined;
  if (v === 0) ms = 0;
  else if (typeof v === 'string') ms = parseDuration(v);
  if (ms === undefined) {
    issues.error(path, `expected a duration like 200ms, 5s or 1m, got ${show(v)}`);
    return defMs;
  }
  if (ms < 0) {
    issues.error(path, `must not be negative, got ${show(v)}`);
    return defMs;
  }
  if (ms === 0 && opts.allowZero === false) {
    issues.error(path, 'must be greater than 0');
    return defMs;
  }
  if (opts.min !== undefined && ms < opts.min) {
    issues.error(path, `must be at least ${opts.min}ms, got ${show(v)}`);
    return defMs;
  }
  if (opts.max !== undefined && ms > opts.max) {
    issues.error(path, `must be at most ${opts.max}ms, got ${show(v)}`);
    return defMs;
  }
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `20MiB`, `512KB`, `1048576` → bytes; undefined when invalid. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(parseFloat(m[1]) * unit);
}

/** A size in bytes: an integer (bytes) or a string with a unit (`20MiB`, `512KB`). */
export function readSize<D extends number | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  defBytes: D,
  opts: RangeOpts = {},
): number | D {
  if (isUnset(v)) return defBytes;
  const n = parseSize(v);
  if (n === undefined) {
    issues.error(path, `expected a size in bytes or with a unit like 20MiB, got ${show(v)}`);
    return defBytes;
  }
  return checkRange(n, path, issues, opts) ? n : defBytes;
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Splits `host:port`, `[::1]:port` or `:port` (all interfaces, as Go's net.Listen allows).
 * Undefined when it is not of that form or the port is not 0–65535.
 */
export function parseHostPort(s: string): HostPort | undefined {
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.%a-zA-Z0-9]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) return undefined;
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (host.includes(':')) return undefined; // bare IPv6 needs brackets
    if (host !== '' && !/^[A-Za-z0-9._-]+$/.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/**
 * An endpoint `host:port`. With `schemes` (e.g. ['http', 'https']) a `scheme://host:port[/path]`
 * form is accepted as well and returned unchanged.
 */
export function readEndpoint<D extends string | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  def: D,
  opts: { schemes?: readonly string[] } = {},
): string | D {
  if (isUnset(v)) return def;
  if (typeof v === 'string') {
    if (opts.schemes && /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      try {
        const u = new URL(v);
        if (opts.schemes.includes(u.protocol.slice(0, -1)) && u.hostname !== '') return v;
      } catch {
        /* reported below */
      }
      issues.error(path, `expected ${opts.schemes.map((s) => `${s}://host:port`).join(' or ')} or host:port, got ${show(v)}`);
      return def;
    }
    if (parseHostPort(v)) return v;
  }
  issues.error(path, `expected host:port, got ${show(v)}`);
  return def;
}

/** An absolute http(s) URL. */
export function readUrl<D extends string | undefined>(
  v: unknown,
  path: string,
  issues: ConfigIssues,
  def: D,
  schemes: readonly string[] = ['http', 'https'],
): string | D {
  if (isUnset(v)) return def;
  if (typeof v === 'string') {
    try {
      const u = new URL(v);
      if (schemes.includes(u.protocol.slice(0, -1)) && u.hostname !== '') return v;
    } catch {
      /* reported below */
    }
  }
  issues.error(path, `expected a URL (${schemes.map((s) => `${s}://`).join(' or ')}), got ${show(v)}`);
  return def;
}

/** A mapping of strings to strings (headers); scalar values are taken as their text. */
export function readStringMap(v: unknown, path: string, issues: ConfigIssues): Record<string, string> {
  if (isUnset(v)) return {};
  if (!isPlainObject(v)) {
    issues.error(path, `expected a mapping of strings, got ${show(v)}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
    else issues.error(join(path, k), `expected a string, got ${show(val)}`);
  }
  return out;
}

/** A list of strings. */
export function readStringList(v: unknown, path: string, issues: ConfigIssues, def: string[] = []): string[] {
  if (isUnset(v)) return def;
  if (!Array.isArray(v)) {
    issues.error(path, `expected a list of strings, got ${show(v)}`);
    return def;
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else issues.error(`${path}[${i}]`, `expected a string, got ${show(item)}`);
  });
  return out;
}
