/**
 * What the deployment files must agree with, read from the sources that define it: the filter's
 * root id (filter/index.ts), its option names and stamp-header defaults (filter/config/) and the
 * module path the build writes (asconfig.json). The filter is AssemblyScript, so its constants are read from the source text;
 * a pattern that stops matching fails loudly instead of falling back to a guess.
 */
import { readText } from './manifests.js';

function match(file: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(readText(file));
  if (!m) throw new Error(`${what} not found in ${file} (pattern ${re}); if the source changed shape, update test/deploy/filter-facts.ts`);
  return m;
}

/** The root id passed to registerRootContext in filter/index.ts. */
export function filterRootIds(): string[] {
  const text = readText('filter/index.ts');
  const ids = [...text.matchAll(/registerRootContext\(\s*"([^"]+)"/g)].map((m) => m[1]!);
  if (ids.length === 0) throw new Error('filter/index.ts registers no root context');
  return ids;
}

const PLUGIN_CONFIG = 'filter/config/plugin-config.ts';

export function filterDefaultHeaders(): { kind: string; direction: string; healed: string; healedTrace: string } {
  return {
    healed: match(PLUGIN_CONFIG, /DEFAULT_HEALED_HEADER\s*:\s*string\s*=\s*"([^"]+)"/, 'DEFAULT_HEALED_HEADER')[1]!,
    healedTrace: match(PLUGIN_CONFIG, /DEFAULT_HEALED_TRACE_HEADER\s*:\s*string\s*=\s*"([^"]+)"/, 'DEFAULT_HEALED_TRACE_HEADER')[1]!,
    kind: match(PLUGIN_CONFIG, /DEFAULT_KIND_HEADER\s*:\s*string\s*=\s*"([^"]+)"/, 'DEFAULT_KIND_HEADER')[1]!,
    direction: match(PLUGIN_CONFIG, /DEFAULT_DIRECTION_HEADER\s*:\s*string\s*=\s*"([^"]+)"/, 'DEFAULT_DIRECTION_HEADER')[1]!,
  };
}

/** The pluginConfig keys the filter knows (its KNOWN_KEYS list). */
export function filterConfigKeys(): string[] {
  const body = match(PLUGIN_CONFIG, /KNOWN_KEYS\s*:\s*StaticArray<string>\s*=\s*\[([^\]]*)\]/, 'KNOWN_KEYS')[1]!;
  return [...body.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** build/meshtrace-filter.wasm: asconfig.json's release outFile. */
export function releaseWasmPath(): string {
  const cfg = JSON.parse(readText('asconfig.json')) as { targets: { release: { outFile: string } } };
  return cfg.targets.release.outFile;
}
