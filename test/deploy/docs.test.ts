/**
 * README.md shows the main resources inline; these snippets must stay equal to the files
 * users apply.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
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
