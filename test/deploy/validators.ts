/**
 * One validator per resource kind the deployment files use, each as strict as the API server with
 * `kubectl apply` (server-side field validation `Strict`):
 *
 * - the registry package's compiled OpenAPI validator (kubernetes-models for Kubernetes kinds,
 *   @kubernetes-models/istio 3.x, generated from Istio's current CRDs, for Istio kinds): types,
 *   enums, required fields, formats, patterns;
 * - unknown fields refused, from the same package's declarations (declared-fields.ts), where the
 *   compiled validators are loose;
 * - for Istio kinds, the CRDs' CEL rules that JSON Schema can say (./schemas, see SOURCES.md);
 *   for the IstioOperator, whose `spec` the package leaves undescribed, the meshConfig schema.
 *
 * A kind without a validator is an error, so nothing is left unchecked silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1';
import { Telemetry as TelemetryV1 } from '@kubernetes-models/istio/telemetry.istio.io/v1';
import { Telemetry as TelemetryV1alpha1 } from '@kubernetes-models/istio/telemetry.istio.io/v1alpha1';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1';
import { DeclaredFields, type DeclaredType } from './declared-fields.js';
import type { K8sObject } from './manifests.js';

// ajv-formats is CommonJS with a default export; under NodeNext its callable is `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv, f: string[]) => Ajv;

const SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemas');

function loadSchema(name: string): object {
  return JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8')) as object;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv, ['regex']);
ajv.addSchema(loadSchema('mesh-extension-providers.json'));

export const validateWasmPluginSchema: ValidateFunction = ajv.compile(loadSchema('wasmplugin-v1alpha1.json'));
export const validateTelemetrySchema: ValidateFunction = ajv.compile(loadSchema('telemetry-v1.json'));
export const validateExtensionProviders: ValidateFunction = ajv.getSchema('mesh-extension-providers.json')!;
ajv.addSchema(loadSchema('mesh-config.json'));
export const validateMeshConfig: ValidateFunction = ajv.getSchema('mesh-config.json')!;
const validateIstioOperatorSpec: ValidateFunction = ajv.compile(loadSchema('istio-operator-spec.json'));

function ajvErrors(fn: ValidateFunction): string {
  return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

/** Throws a message naming every schema violation; returns normally when valid. */
export function checkWithSchema(fn: ValidateFunction, value: unknown, what: string): void {
  if (!fn(value)) throw new Error(`${what}: ${ajvErrors(fn)}`);
}

type Validator = (obj: K8sObject) => void;
type ModelCtor = new (data: any) => { validate(): void }; // eslint-disable-line @typescript-eslint/no-explicit-any

interface KindSpec {
  model: ModelCtor;
  declared: DeclaredType;
  /** Checks beyond the package's schema (CEL rules, meshConfig). */
  extra?: Validator;
  /** Top-level keys the package does not declare and `extra` checks instead. */
  undeclared?: readonly string[];
}

const K8S = (group: string, name: string): DeclaredType => ({ module: `kubernetes-models/${group}/${name}`, name: `I${name}` });
const ISTIO = (group: string, name: string): DeclaredType => ({ module: `@kubernetes-models/istio/${group}/${name}`, name: `I${name}` });

const KINDS: Record<string, KindSpec> = {
  'v1/Namespace': { model: Namespace, declared: K8S('v1', 'Namespace') },
  'v1/ServiceAccount': { model: ServiceAccount, declared: K8S('v1', 'ServiceAccount') },
  'v1/ConfigMap': { model: ConfigMap, declared: K8S('v1', 'ConfigMap') },
  'v1/Secret': { model: Secret, declared: K8S('v1', 'Secret') },
  'v1/Service': { model: Service, declared: K8S('v1', 'Service') },
  'apps/v1/Deployment': { model: Deployment, declared: K8S('apps/v1', 'Deployment') },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, declared: K8S('policy/v1', 'PodDisruptionBudget') },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: HorizontalPodAutoscaler, declared: K8S('autoscaling/v2', 'HorizontalPodAutoscaler') },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, declared: K8S('networking.k8s.io/v1', 'NetworkPolicy') },
  'extensions.istio.io/v1alpha1/WasmPlugin': {
    model: WasmPlugin,
    declared: ISTIO('extensions.istio.io/v1alpha1', 'WasmPlugin'),
    extra: (obj) => checkWithSchema(validateWasmPluginSchema, obj, 'WasmPlugin'),
  },
  'telemetry.istio.io/v1/Telemetry': {
    model: TelemetryV1,
    declared: ISTIO('telemetry.istio.io/v1', 'Telemetry'),
    extra: (obj) => checkWithSchema(validateTelemetrySchema, obj, 'Telemetry'),
  },
  'telemetry.istio.io/v1alpha1/Telemetry': {
    model: TelemetryV1alpha1,
    declared: ISTIO('telemetry.istio.io/v1alpha1', 'Telemetry'),
    extra: (obj) => checkWithSchema(validateTelemetrySchema, obj, 'Telemetry'),
  },
  // The package declares apiVersion/kind/metadata only: `spec` is checked by its own schema.
  'install.istio.io/v1alpha1/IstioOperator': {
    model: IstioOperator,
    declared: ISTIO('install.istio.io/v1alpha1', 'IstioOperator'),
    undeclared: ['spec'],
    extra: (obj) => checkWithSchema(validateIstioOperatorSpec, obj.spec ?? {}, 'IstioOperator spec'),
  },
};

let declaredFields: DeclaredFields | undefined;

/** The TypeScript program over the packages' declarations, built once on first use (~2 s). */
function declared(): DeclaredFields {
  declaredFields ??= new DeclaredFields(Object.values(KINDS).map((k) => k.declared));
  return declaredFields;
}

/** Unknown fields of `obj` by the declared type of its kind ([] when none, or kind unknown). */
export function unknownFields(obj: K8sObject): string[] {
  const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
  return kind ? declared().unknownFields(withoutKeys(obj, kind.undeclared), kind.declared) : [];
}

function withoutKeys(obj: K8sObject, keys: readonly string[] = []): K8sObject {
  if (keys.length === 0) return obj;
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

export function validatorFor(obj: K8sObject): Validator | undefined {
  const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (!kind) return undefined;
  return (o) => {
    const what = `${o.kind} ${o.metadata?.name ?? '(no name)'}`;
    new kind.model(o).validate();
    const unknown = unknownFields(o);
    if (unknown.length > 0) throw new Error(`${what}: ${unknown.join('; ')}`);
    kind.extra?.(o);
  };
}

/** Validates one resource; throws for an invalid resource or a kind no validator covers. */
export function validateResource(obj: K8sObject): void {
  const v = validatorFor(obj);
  if (!v) throw new Error(`no validator for ${obj.apiVersion} ${obj.kind} (add one to test/deploy/validators.ts)`);
  v(obj);
}
