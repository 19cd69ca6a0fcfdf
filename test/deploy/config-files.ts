/**
 * Every deployment and config file of the repository, each with the validator that checks it as
 * strictly as the program that reads it does:
 *
 *   Kubernetes / Istio resources   validators.ts (OpenAPI + unknown fields + CRD rules)
 *   Envoy bootstraps               envoy-api.ts (Envoy's v3 protos, proto3 JSON, @type resolved)
 *   compose files                  compose-schema.ts (compose-spec JSON schema)
 *   collector configs              the collector's own loader (also a ConfigMap's collector.yaml)
 *   Helm values (meshConfig)       schemas/mesh-config.json
 *   kustomizations                 schemas/kustomization.json (+ every listed file exists)
 *
 * The walk covers manifests/, wasmplugin/, test/envoy/ and the collector's shipped configs, so a
 * file added there later is checked too; a file no validator recognises is an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parseConfigText } from '../../collector/config/load.js';
import { checkComposeFile } from './compose-schema.js';
import { checkEnvoyConfig } from './envoy-api.js';
import { appliedText, listYamlFiles, loadResources, parseYamlFile, readText, repoPath, type K8sObject } from './manifests.js';
import { checkWithSchema, validateMeshConfig, validateResource } from './validators.js';

export const CONFIG_ROOTS = ['manifests', 'wasmplugin', 'test/envoy', 'collector/config/default.yaml', 'collector/config/testdata'] as const;

export type ConfigKind = 'resources' | 'envoy' | 'compose' | 'collector' | 'helm-values' | 'kustomization';

export interface ConfigFile {
  file: string;
  kind: ConfigKind;
  /** The text as applied (templates filled); the collector's loader reads this. */
  text: string;
  docs: unknown[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isResource = (v: unknown): v is K8sObject => isObject(v) && typeof v.apiVersion === 'string' && typeof v.kind === 'string';

/** What a file is, from its name and content; undefined when nothing recognises it. */
export function classify(file: string, docs: unknown[]): ConfigKind | undefined {
  const base = path.posix.basename(file);
  if (/^(docker-)?compose([.-][\w-]+)?\.ya?ml$/.test(base)) return 'compose';
  if (docs.length === 0) return undefined;
  if (docs.every((d) => isResource(d) && d.kind === 'Kustomization')) return 'kustomization';
  if (docs.every(isResource)) return 'resources';
  const [first] = docs;
  if (docs.length !== 1 || !isObject(first)) return undefined;
  if ('static_resources' in first || ('admin' in first && 'node' in first)) return 'envoy';
  if ('receivers' in first || 'exporters' in first || 'service' in first) return 'collector';
  if (/-values\.ya?ml$/.test(base) && 'meshConfig' in first) return 'helm-values';
  return undefined;
}

export function configFiles(): ConfigFile[] {
  const roots = CONFIG_ROOTS.filter((r) => fs.existsSync(repoPath(r)));
  const files = [
    ...listYamlFiles(roots.filter((r) => fs.statSync(repoPath(r)).isDirectory())),
    ...roots.filter((r) => fs.statSync(repoPath(r)).isFile()),
  ];
  return files.map((file) => {
    const docs = parseYamlFile(file).map((d) => d.value);
    const kind = classify(file, docs);
    if (!kind) throw new Error(`${file}: no validator recognises this file (add one to test/deploy/config-files.ts)`);
    return { file, kind, text: appliedText(file), docs };
  });
}

/**
 * Stand-ins of the right shape, by the variable's name, for values the manifests leave to a
 * Secret or the user (the collector checks regions, ARNs, URLs, ports).
 */
const SHAPED_STAND_INS: readonly [RegExp, string][] = [
  [/REGION$/, 'us-east-1'],
  [/ARN$/, 'arn:aws:iam::111122223333:role/stand-in'],
  [/(URL|ENDPOINT)$/, 'https://stand-in.example.com'],
  [/PORT$/, '4317'],
  [/PASSWORD$/, '0123456789abcdef'],
];

/** Literal `env` values of every container of the manifests' Deployments (what the pods get). */
function deploymentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { obj } of loadResources()) {
    for (const c of obj.spec?.template?.spec?.containers ?? []) {
      for (const e of c.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
    }
  }
  return env;
}

/** Every `${env:NAME}` a collector config uses: the Deployments' value, else a stand-in of its shape. */
function collectorEnv(text: string): Record<string, string> {
  const fromPods = deploymentEnv();
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1]!;
    env[name] = fromPods[name] ?? SHAPED_STAND_INS.find(([re]) => re.test(name))?.[1] ?? `stand-in-${name.toLowerCase()}`;
  }
  return env;
}

export function checkCollectorConfig(text: string, what: string): void {
  try {
    parseConfigText(text, collectorEnv(text));
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateKustomization = ajv.compile(JSON.parse(readText('test/deploy/schemas/kustomization.json')) as object);
const validateHelmValues = ajv.compile({
  type: 'object', additionalProperties: false, required: ['meshConfig'], properties: { meshConfig: { type: 'object' } },
});

/** Throws naming the file and every problem when it is invalid. */
export function checkConfigFile(f: ConfigFile): void {
  switch (f.kind) {
    case 'resources':
      for (const d of f.docs as K8sObject[]) {
        validateResource(d);
        // A ConfigMap that carries a collector config: the collector's loader checks it too.
        if (d.kind === 'ConfigMap') {
          for (const [key, text] of Object.entries(d.data ?? {})) {
            if (/\.ya?ml$/.test(key) && /^(receivers|exporters|service):/m.test(text)) checkCollectorConfig(text, `${f.file} data.${key}`);
          }
        }
      }
      return;
    case 'envoy':
      checkEnvoyConfig(f.docs[0]);
      return;
    case 'compose':
      checkComposeFile(f.docs[0], f.file);
      return;
    case 'collector':
      checkCollectorConfig(f.text, f.file);
      return;
    case 'helm-values':
      checkWithSchema(validateHelmValues, f.docs[0], f.file);
      checkWithSchema(validateMeshConfig, (f.docs[0] as { meshConfig: unknown }).meshConfig, `${f.file} meshConfig`);
      return;
    case 'kustomization': {
      const k = f.docs[0] as { resources?: string[] };
      checkWithSchema(validateKustomization, k, f.file);
      for (const r of k.resources ?? []) {
        if (!fs.existsSync(repoPath(path.posix.dirname(f.file), r))) throw new Error(`${f.file}: resource ${r} does not exist`);
      }
      return;
    }
  }
}
