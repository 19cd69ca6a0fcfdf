/**
 * The minimum Kubernetes version the README states is true for every resource the manifests use:
 * each API or field below is detected in the resources and must be on by default (GA, or beta
 * enabled by default) in the stated version. Schemas cannot tell this (a field can exist behind a
 * feature gate that is off), so the versions come from the Kubernetes documentation, each with its
 * source. An API or field the table does not know is not a pass: the walk below lists every
 * apiVersion, and an unknown one fails.
 */
import { describe, expect, it } from 'vitest';
import { loadResources, readText, type K8sObject } from './manifests.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Feature {
  what: string;
  /** First minor version with it on by default. */
  since: number;
  source: string;
  uses(obj: K8sObject): boolean;
}

const pods = (o: K8sObject): Any[] => (o.spec?.template?.spec ? [o.spec.template.spec] : []);
const containers = (o: K8sObject): Any[] => pods(o).flatMap((p) => [...(p.containers ?? []), ...(p.initContainers ?? [])]);
const isApi = (apiVersion: string, kind?: string) => (o: K8sObject): boolean => o.apiVersion === apiVersion && (kind === undefined || o.kind === kind);

/** Core group objects (v1) that every supported version serves. */
const CORE = new Set(['Namespace', 'ServiceAccount', 'ConfigMap', 'Secret', 'Service']);
/** Istio's kinds: served by the CRDs of the Istio release, not by Kubernetes. */
const ISTIO_GROUPS = /\.istio\.io\//;

const FEATURES: readonly Feature[] = [
  { what: 'apps/v1 Deployment', since: 9, source: 'Kubernetes 1.9 release notes (apps/v1 GA)', uses: isApi('apps/v1', 'Deployment') },
  { what: 'policy/v1 PodDisruptionBudget', since: 21, source: 'Kubernetes docs, "Deprecated API Migration Guide" (policy/v1 since 1.21)', uses: isApi('policy/v1', 'PodDisruptionBudget') },
  { what: 'autoscaling/v2 HorizontalPodAutoscaler (with behavior)', since: 23, source: 'Kubernetes docs, "Deprecated API Migration Guide" (autoscaling/v2 since 1.23)', uses: isApi('autoscaling/v2', 'HorizontalPodAutoscaler') },
  { what: 'networking.k8s.io/v1 NetworkPolicy', since: 7, source: 'Kubernetes docs, "Network Policies" (networking.k8s.io/v1)', uses: isApi('networking.k8s.io/v1', 'NetworkPolicy') },
  {
    what: 'the kubernetes.io/metadata.name namespace label in NetworkPolicy selectors', since: 22,
    source: 'Kubernetes docs, "Well-Known Labels": kubernetes.io/metadata.name set on every namespace since 1.22 (GA)',
    uses: (o) => JSON.stringify(o.spec ?? {}).includes('kubernetes.io/metadata.name') && o.kind === 'NetworkPolicy',
  },
  {
    what: 'lifecycle hook `sleep` action', since: 30,
    source: 'Kubernetes docs, "Container Lifecycle Hooks": PodLifecycleSleepAction alpha in 1.29 (off), beta and on by default in 1.30',
    uses: (o) => containers(o).some((c) => c.lifecycle?.preStop?.sleep !== undefined || c.lifecycle?.postStart?.sleep !== undefined),
  },
  { what: 'seccompProfile', since: 19, source: 'Kubernetes docs, "Restrict a Container\'s Syscalls with seccomp" (GA 1.19)', uses: (o) => pods(o).some((p) => p.securityContext?.seccompProfile) || containers(o).some((c) => c.securityContext?.seccompProfile) },
  { what: 'topologySpreadConstraints', since: 19, source: 'Kubernetes docs, "Pod Topology Spread Constraints" (GA 1.19)', uses: (o) => pods(o).some((p) => p.topologySpreadConstraints) },
  { what: 'emptyDir sizeLimit (enforced)', since: 25, source: 'Kubernetes docs, "Local ephemeral storage": LocalStorageCapacityIsolation GA in 1.25', uses: (o) => pods(o).some((p) => (p.volumes ?? []).some((v: Any) => v.emptyDir?.sizeLimit)) },
  { what: 'Service port appProtocol', since: 20, source: 'Kubernetes docs, "Service": appProtocol GA in 1.20', uses: (o) => o.kind === 'Service' && (o.spec?.ports ?? []).some((p: Any) => p.appProtocol) },
  { what: 'automountServiceAccountToken: false', since: 6, source: 'Kubernetes docs, "Configure Service Accounts for Pods"', uses: (o) => o.automountServiceAccountToken === false || pods(o).some((p) => p.automountServiceAccountToken === false) },
];

/** The problems: features newer than `minimum`, and apiVersions the table does not cover. */
function versionProblems(resources: readonly K8sObject[], minimum: number): string[] {
  const out: string[] = [];
  for (const o of resources) {
    const id = `${o.kind}/${o.metadata?.name}`;
    const used = FEATURES.filter((f) => f.uses(o));
    for (const f of used) if (f.since > minimum) out.push(`${id} uses ${f.what}, on by default only since 1.${f.since} (${f.source})`);
    const covered = (o.apiVersion === 'v1' && CORE.has(o.kind)) || ISTIO_GROUPS.test(`${o.apiVersion}/`) || used.some((f) => f.what.startsWith(`${o.apiVersion} `));
    if (!covered) out.push(`${id}: ${o.apiVersion} ${o.kind} is not in the version table (test/deploy/kubernetes-version.test.ts)`);
  }
  return out;
}

const resources = loadResources().map((r) => r.obj);
const stated = /Kubernetes 1\.(\d+)\+/.exec(readText('README.md'));

describe('the stated minimum Kubernetes version', () => {
  it('is stated in the README', () => {
    expect(stated, 'README.md states "Kubernetes 1.N+"').not.toBeNull();
  });

  it('is true for every resource the manifests use', () => {
    expect(versionProblems(resources, Number(stated![1]))).toEqual([]);
  });

  it('the check can fail: on 1.29 the collector\'s preStop sleep is refused', () => {
    const problems = versionProblems(resources, 29);
    expect(problems.some((p) => p.startsWith('Deployment/meshtrace-collector uses lifecycle hook `sleep` action'))).toBe(true);
  });

  it('an API the table does not know is reported, not passed', () => {
    expect(versionProblems([{ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } }], 40)).toEqual([
      'CronJob/x: batch/v1 CronJob is not in the version table (test/deploy/kubernetes-version.test.ts)',
    ]);
  });
});
