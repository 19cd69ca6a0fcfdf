/**
 * One validator per resource kind the deployment files use. Kubernetes kinds go through
 * kubernetes-models (the upstream OpenAPI schemas: types, enums, required fields); Istio kinds go
 * through the JSON Schemas in ./schemas (written down from Istio's published CRDs, see
 * schemas/SOURCES.md), and also through @kubernetes-models/istio where that package has the
 * version. A kind without a validator is an error, so nothing is left unchecked silently.
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
import { WasmPlugin as WasmPluginV1alpha1Model } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1';
import { Telemetry as TelemetryV1alpha1Model } from '@kubernetes-models/istio/telemetry.istio.io/v1alpha1';
import { IstioOperator as IstioOperatorModel } from '@kubernetes-models/istio/install.istio.io/v1alpha1';
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
export const validateMeshConfig: ValidateFunction = ajv.compile(loadSchema('mesh-config.json'));

function ajvErrors(fn: ValidateFunction): string {
  return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

/** Throws a message naming every schema violation; returns normally when valid. */
export function checkWithSchema(fn: ValidateFunction, value: unknown, what: string): void {
  if (!fn(value)) throw new Error(`${what}: ${ajvErrors(fn)}`);
}

/** kubernetes-models' validate() on a model built from the plain object. */
function viaModel<T extends { validate(): void }>(ctor: new (data: any) => T): (obj: K8sObject) => void { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (obj) => new ctor(obj).validate();
}

type Validator = (obj: K8sObject) => void;

const VALIDATORS: Record<string, Validator> = {
  'v1/Namespace': viaModel(Namespace),
  'v1/ServiceAccount': viaModel(ServiceAccount),
  'v1/ConfigMap': viaModel(ConfigMap),
  'v1/Secret': viaModel(Secret),
  'v1/Service': viaModel(Service),
  'apps/v1/Deployment': viaModel(Deployment),
  'policy/v1/PodDisruptionBudget': viaModel(PodDisruptionBudget),
  'autoscaling/v2/HorizontalPodAutoscaler': viaModel(HorizontalPodAutoscaler),
  'extensions.istio.io/v1alpha1/WasmPlugin': (obj) => {
    checkWithSchema(validateWasmPluginSchema, obj, 'WasmPlugin');
    // Istio 1.18's schema in the package predates failStrategy/type/targetRefs but still checks
    // the fields it knows (their types and enums).
    viaModel(WasmPluginV1alpha1Model)(obj);
  },
  'telemetry.istio.io/v1/Telemetry': (obj) => checkWithSchema(validateTelemetrySchema, obj, 'Telemetry'),
  'telemetry.istio.io/v1alpha1/Telemetry': (obj) => {
    checkWithSchema(validateTelemetrySchema, obj, 'Telemetry');
    viaModel(TelemetryV1alpha1Model)(obj);
  },
  'install.istio.io/v1alpha1/IstioOperator': (obj) => {
    viaModel(IstioOperatorModel)(obj); // apiVersion/kind/metadata only: the package has no spec schema
    checkWithSchema(validateMeshConfig, obj.spec?.meshConfig ?? {}, 'IstioOperator spec.meshConfig');
  },
};

export function validatorFor(obj: K8sObject): Validator | undefined {
  return VALIDATORS[`${obj.apiVersion}/${obj.kind}`];
}

/** Validates one resource; throws for an invalid resource or a kind no validator covers. */
export function validateResource(obj: K8sObject): void {
  const v = validatorFor(obj);
  if (!v) throw new Error(`no validator for ${obj.apiVersion} ${obj.kind} (add one to test/deploy/validators.ts)`);
  v(obj);
}
