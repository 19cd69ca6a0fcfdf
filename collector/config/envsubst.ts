/**
 * `${env:NAME}` substitution with the OpenTelemetry Collector's rules (confmap + envprovider):
 * - applied to string values after YAML parsing, so a value never changes the file's structure;
 * - `${env:NAME:-default}` uses the default when NAME is unset (a set but empty NAME stays empty);
 * - `${NAME}` without a scheme is the env provider too (the Collector's default scheme);
 * - `$$` is an escaped `$` and is never expanded (`$${env:X}` → `${env:X}`);
 * - a value that is exactly one reference takes the variable's YAML type (`8` → 8, `true`),
 *   unless that would change its text (`0123` stays a string), as the Collector keeps the original
 *   string for string fields; a reference inside a longer string is string concatenation;
 * - NAME must match ^[a-zA-Z_][a-zA-Z0-9_]*$; an unset NAME without default expands to "" with a
 *   warning (the Collector logs "Configuration references unset environment variable").
 * Other schemes (`${file:...}`, `${http:...}`) are errors: this collector has no such providers.
 */
import { parse as parseYaml } from 'yaml';
import type { ConfigIssues } from './issues.js';
import { join, isPlainObject } from './validate.js';

export type Env = Record<string, string | undefined>;

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Expansion {
  value: string;
  /** The whole string was one reference (typed resolution applies). */
  whole: boolean;
}

function expandString(s: string, path: string, env: Env, issues: ConfigIssues): Expansion {
  if (!s.includes('$')) return { value: s, whole: false };
  let out = '';
  let refs = 0;
  let literal = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      out += c;
      literal = true;
      i++;
      continue;
    }
    if (s[i + 1] === '$') {
      out += '$';
      literal = true;
      i += 2;
      continue;
    }
    if (s[i + 1] !== '{') {
      out += c;
      literal = true;
      i++;
      continue;
    }
    const end = s.indexOf('}', i + 2);
    if (end < 0) {
      issues.error(path, `unterminated reference ${JSON.stringify(s.slice(i))}`);
      return { value: s, whole: false };
    }
    const body = s.slice(i + 2, end);
    out += resolveRef(body, path, env, issues);
    refs++;
    i = end + 1;
  }
  return { value: out, whole: refs === 1 && !literal };
}

function resolveRef(body: string, path: string, env: Env, issues: ConfigIssues): string {
  let selector = body;
  const colon = body.indexOf(':');
  if (colon >= 0) {
    const scheme = body.slice(0, colon);
    if (scheme === 'env') selector = body.slice(colon + 1);
    else if (/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme) && !body.startsWith(`${scheme}:-`)) {
      issues.error(path, `unsupported config provider scheme "${scheme}" in \${${body}} (only env is supported)`);
      return '';
    }
  }
  let name = selector;
  let def: string | undefined;
  const dflt = selector.indexOf(':-');
  if (dflt >= 0) {
    name = selector.slice(0, dflt);
    def = selector.slice(dflt + 2);
  }
  if (!NAME_RE.test(name)) {
    issues.error(path, `environment variable name ${JSON.stringify(name)} must match ^[a-zA-Z_][a-zA-Z0-9_]*$`);
    return '';
  }
  const v = env[name];
  if (v !== undefined) return v;
  if (def !== undefined) return def;
  issues.warn(path, `references unset environment variable ${name} (expanded to an empty string)`);
  return '';
}

function typed(value: string): unknown {
  if (value === '') return value;
  let parsed: unknown;
  try {
    parsed = parseYaml(value);
  } catch {
    return value;
  }
  if ((typeof parsed === 'number' || typeof parsed === 'boolean') && String(parsed) === value) return parsed;
  // A variable holding a YAML mapping or list (the Collector allows it, e.g. a whole headers map).
  if (Array.isArray(parsed) || isPlainObject(parsed)) return parsed;
  return value;
}

/** Returns a copy of `node` with every string value (and mapping key) expanded. */
export function expandEnv(node: unknown, path: string, env: Env, issues: ConfigIssues): unknown {
  if (typeof node === 'string') {
    const e = expandString(node, path, env, issues);
    return e.whole ? typed(e.value) : e.value;
  }
  if (Array.isArray(node)) return node.map((v, i) => expandEnv(v, `${path}[${i}]`, env, issues));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const key = k.includes('$') ? expandString(k, join(path, k), env, issues).value : k;
      out[key] = expandEnv(v, join(path, key), env, issues);
    }
    return out;
  }
  return node;
}
