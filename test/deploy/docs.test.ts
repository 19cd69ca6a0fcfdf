/**
 * README.md shows the main resources inline; these snippets must stay equal to the files
 * users apply. Its Helm route and docs/collector.md's figures must match the manifests too.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { readText, resourceInFile } from './manifests.js';

const doc = readText('README.md');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseYaml(m[1]!) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

function block(pred: (b: Record<string, any>) => boolean, what: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const hits = yamlBlocks.filter((b) => b && typeof b === 'object' && pred(b));
  if (hits.length !== 1) throw new Error(`expected one yaml block in README.md showing ${what}, found ${hits.length}`);
  return hits[0]!;
}

describe('README.md snippets match the files', () => {
  it('the collector config', () => {
    const shown = block((b) => 'receivers' in b && 'service' in b, 'the collector config');
    const cm = resourceInFile('manifests/collector/configmap.yaml');
    expect(shown).toEqual(parseYaml(cm.data!['collector.yaml']!));
  });

  it('the mesh config', () => {
    const shown = block((b) => 'meshConfig' in b, 'the mesh config');
    expect(shown).toEqual(parseYaml(readText('manifests/istio/istiod-values.yaml')));
  });

  it('the Telemetry', () => {
    const shown = block((b) => b.kind === 'Telemetry', 'the Telemetry');
    expect(shown).toEqual(resourceInFile('manifests/istio/telemetry.yaml'));
  });

  it('the WasmPlugin (spec)', () => {
    const shown = block((b) => b.kind === 'WasmPlugin', 'the WasmPlugin');
    expect(shown.spec).toEqual(resourceInFile('wasmplugin/wasmplugin-namespace.yaml').spec);
  });
});

describe('README.md: the Helm route', () => {
  const installs = [...doc.matchAll(/^helm upgrade --install (\S+) istio\/(\S+) -n (\S+)(.*)$/gm)]
    .map((m) => ({ release: m[1]!, chart: m[2]!, namespace: m[3]!, rest: m[4]! }));

  it('installs base (the CRDs), istiod (with the mesh config values) and the gateway, in that order', () => {
    expect(installs.map((i) => i.chart)).toEqual(['base', 'istiod', 'gateway']);
    expect(installs[1]!.rest).toContain('-f manifests/istio/istiod-values.yaml');
    expect(installs.slice(0, 2).map((i) => i.namespace)).toEqual(['istio-system', 'istio-system']);
  });

  it('the gateway release gets the label the gateway WasmPlugin and the collector NetworkPolicy select, in a namespace it admits', () => {
    const gw = installs.find((i) => i.chart === 'gateway')!;
    // The gateway chart labels pods istio=<release name without the "istio-" prefix>.
    const label = gw.release.replace(/^istio-/, '');
    expect(resourceInFile('wasmplugin/wasmplugin-gateway.yaml').spec.selector.matchLabels).toEqual({ istio: label });
    const policy = parseAllDocuments(readText('manifests/collector/networkpolicy.yaml')).map((d) => d.toJS()).find((d) => d.metadata.name === 'meshtrace-collector');
    const gatewayPeer = policy.spec.ingress[0].from.find((p: { podSelector?: unknown }) => p.podSelector);
    expect(gatewayPeer.podSelector.matchLabels).toEqual({ istio: label });
    expect(gatewayPeer.namespaceSelector.matchExpressions[0].values).toContain(gw.namespace);
  });
});

describe('docs/collector.md matches the manifests', () => {
  it('the grace period it states is the Deployment\'s', () => {
    const text = readText('docs/collector.md');
    const stated = [...text.matchAll(/terminationGracePeriodSeconds:\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(stated.length).toBeGreaterThan(0);
    const deployment = parseYaml(readText('manifests/collector/deployment.yaml')) as { spec: { template: { spec: { terminationGracePeriodSeconds: number } } } };
    for (const n of stated) expect(n).toBe(deployment.spec.template.spec.terminationGracePeriodSeconds);
  });
});
