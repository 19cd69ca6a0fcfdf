/**
 * Envoy configs checked against Envoy's v3 API, the way Envoy itself parses YAML/JSON config:
 * the proto3 JSON mapping, unknown fields refused, enums by name, and every `@type` of a
 * `google.protobuf.Any` resolved to a message of the API and checked in turn.
 *
 * The .proto files come from a registry package: @grpc/grpc-js-xds ships Envoy's API
 * (deps/envoy-api, with its xds, protoc-gen-validate and googleapis imports) for its own xDS
 * client. It is the only npm package found that carries Envoy's .proto definitions; it ships a
 * subset of the v2/v2alpha files whose imports it leaves out, so only the files whose imports
 * all resolve are loaded (every v3 message these configs use is among them). Parsing is
 * protobufjs' ProtoJSON extension (protobufjs is already a dependency of the collector).
 */
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import { repoPath } from './manifests.js';

const DEPS = repoPath('node_modules/@grpc/grpc-js-xds/deps');
const IMPORT_ROOTS = ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((d) => path.join(DEPS, d));
/** Well-known types protobufjs bundles (resolved by name, not by file). */
const BUNDLED = new Set(['any', 'duration', 'timestamp', 'empty', 'struct', 'wrappers', 'field_mask'].map((n) => `google/protobuf/${n}.proto`));
const DESCRIPTOR = 'google/protobuf/descriptor.proto';

export const ENVOY_BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

function locate(target: string): string | undefined {
  if (BUNDLED.has(target)) return target;
  if (target === DESCRIPTOR) return repoPath('node_modules/protobufjs', DESCRIPTOR);
  for (const r of IMPORT_ROOTS) {
    const p = path.join(r, target);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** The .proto files (relative to envoy-api/) whose transitive imports all exist in the package. */
function loadableFiles(): { files: string[]; skipped: string[] } {
  const complete = new Map<string, boolean>();
  const closed = (rel: string, visiting: Set<string>): boolean => {
    const known = complete.get(rel);
    if (known !== undefined) return known;
    if (visiting.has(rel)) return true; // a cycle: decided by the outer call
    visiting.add(rel);
    const file = locate(rel);
    let ok = file !== undefined;
    if (ok && !BUNDLED.has(rel) && rel !== DESCRIPTOR) {
      for (const m of fs.readFileSync(file!, 'utf8').matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)) {
        if (!closed(m[1]!, visiting)) { ok = false; break; }
      }
    }
    complete.set(rel, ok);
    return ok;
  };
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.proto')) all.push(path.relative(IMPORT_ROOTS[0]!, p).split(path.sep).join('/'));
    }
  };
  walk(path.join(IMPORT_ROOTS[0]!, 'envoy'));
  const files = all.filter((f) => closed(f, new Set()));
  return { files, skipped: all.filter((f) => !files.includes(f)) };
}

let cached: protobuf.Root | undefined;

/** Envoy's v3 API as one resolved protobufjs root (built once, ~0.5 s). */
export function envoyApi(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => locate(target) ?? target;
  root.loadSync(loadableFiles().files, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export function envoyApiCoverage(): { files: number; skipped: string[] } {
  const { files, skipped } = loadableFiles();
  return { files: files.length, skipped };
}

/** Throws with Envoy-style detail when `config` is not a valid `typeName` in proto3 JSON. */
export function checkEnvoyConfig(config: unknown, typeName: string = ENVOY_BOOTSTRAP): void {
  const type = envoyApi().lookupType(typeName);
  try {
    protojson.fromJson(type, config);
  } catch (e) {
    throw new Error(`${typeName}: ${(e as Error).message}`);
  }
}
