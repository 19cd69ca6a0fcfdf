/**
 * Reads the deployment files the tests check: every YAML document under manifests/, wasmplugin/
 * and test/envoy/ (templates filled as their command fills them), plus the Dockerfile's
 * instructions. File reading, no assertions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_WASM_PATH, fillTemplate, sha256Hex } from '../../scripts/print-wasmplugin.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const YAML_ROOTS = ['manifests', 'wasmplugin', 'test/envoy'] as const;

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

export function readText(rel: string): string {
  return fs.readFileSync(repoPath(rel), 'utf8');
}

/** Every *.yaml / *.yml file under the given folders, repository-relative, sorted. */
export function listYamlFiles(roots: readonly string[] = YAML_ROOTS): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = repoPath(rel);
    if (!fs.existsSync(abs)) return;
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'out') walk(child);
      } else if (/\.ya?ml$/.test(entry.name)) {
        out.push(child);
      }
    }
  };
  roots.forEach(walk);
  return out.sort();
}

export interface YamlDoc {
  file: string;
  index: number;
  value: unknown;
}

export const isTemplate = (rel: string): boolean => /\.template\.ya?ml$/.test(rel);

/** sha256 of the built filter module (what `npm run wasmplugin -- --template` fills in). */
export function builtModuleDigest(): string {
  const wasm = repoPath(DEFAULT_WASM_PATH);
  if (!fs.existsSync(wasm)) throw new Error(`${DEFAULT_WASM_PATH} missing: run npm run build:filter first (templates are filled from it)`);
  return sha256Hex(fs.readFileSync(wasm));
}

/**
 * A file's text as users apply it: a `*.template.yaml` is filled the way its documented command
 * fills it (the module digest from the build), everything else as committed.
 */
export function appliedText(rel: string): string {
  const text = readText(rel);
  return isTemplate(rel) ? fillTemplate(text, builtModuleDigest()) : text;
}

/** All documents of a YAML file; throws with the file name and the parser's message on error. */
export function parseYamlFile(rel: string): YamlDoc[] {
  const docs = parseAllDocuments(appliedText(rel), { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: YamlDoc[] = [];
  list.forEach((doc, index) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${rel} (document ${index}): ${problems.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push({ file: rel, index, value });
  });
  return out;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface Resource {
  file: string;
  obj: K8sObject;
}

function isResource(v: unknown): v is K8sObject {
  return typeof v === 'object' && v !== null && typeof (v as K8sObject).apiVersion === 'string' && typeof (v as K8sObject).kind === 'string';
}

/** Kubernetes/Istio resources (documents with apiVersion + kind) in manifests/ and wasmplugin/. */
export function loadResources(roots: readonly string[] = ['manifests', 'wasmplugin']): Resource[] {
  const out: Resource[] = [];
  for (const file of listYamlFiles(roots)) {
    for (const doc of parseYamlFile(file)) {
      if (isResource(doc.value) && doc.value.kind !== 'Kustomization') out.push({ file, obj: doc.value });
    }
  }
  return out;
}

export function findResource(resources: Resource[], kind: string, name: string, file?: string): K8sObject {
  const hit = resources.find((r) => r.obj.kind === kind && r.obj.metadata?.name === name && (file === undefined || r.file === file));
  if (!hit) throw new Error(`no ${kind} named ${name}${file ? ` in ${file}` : ''}`);
  return hit.obj;
}

export function resourceInFile(file: string): K8sObject {
  const docs = parseYamlFile(file);
  if (docs.length !== 1 || !isResource(docs[0]!.value)) throw new Error(`${file}: expected exactly one resource`);
  return docs[0]!.value;
}

export interface DockerInstruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

/** The exec form (`["a", "b"]`) of ENTRYPOINT/CMD; the shell form is refused (it breaks SIGTERM). */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new Error(`not an exec-form list: ${args}`);
  return parsed;
}

/** `host:port` / `:port` / `[::]:port` → port number. */
export function endpointPort(endpoint: string): number {
  const m = /:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`no port in endpoint ${JSON.stringify(endpoint)}`);
  return Number(m[1]);
}

/** Dockerfile instructions grouped by stage (each starts with its FROM). */
export function dockerStages(instructions: readonly DockerInstruction[]): DockerInstruction[][] {
  const stages: DockerInstruction[][] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') stages.push([]);
    if (stages.length > 0) stages[stages.length - 1]!.push(ins);
  }
  return stages;
}

/**
 * Whether `rel` is in a build context filtered by the given ignore file, for the patterns this
 * repository uses: `*`, `!path`, `dir/**\/*.ext` (later lines win, as in Docker).
 */
export function inBuildContext(rel: string, ignoreFile = '.dockerignore'): boolean {
  const lines = readText(ignoreFile).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let included = true;
  for (const line of lines) {
    const negate = line.startsWith('!');
    const pat = negate ? line.slice(1) : line;
    const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (re.test(rel)) included = negate;
  }
  return included;
}

