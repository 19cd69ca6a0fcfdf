/**
 * Every container image the repository names exists and is supported: each reference (Dockerfile
 * FROM lines and their ARG defaults, compose `image:`, Kubernetes containers, kustomize `images`,
 * WasmPlugin `oci://` URLs) is either in CHECKED below, with where its existence was checked, or
 * one of the two images built from this repository (placeholders the user points at their
 * registry). A new or changed tag fails here until someone checks it and says where.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadResources, listYamlFiles, parseDockerfile, readText } from './manifests.js';

/** Images checked to exist (and to be a supported release), with the source of that check. */
const CHECKED: Readonly<Record<string, string>> = {
  'node:24-trixie-slim':
    'Docker Hub library/node tags (node:24.20.0-trixie-slim, node:24.20-trixie-slim, pushed 2026-10); Node 24 is an LTS line ' +
    '(Node 20 reached end of life in April 2026)',
  'envoyproxy/envoy:v1.39.2':
    'envoyproxy/envoy changelogs/1.39.2.yaml ("date: October 1, 2026"); Envoy publishes envoyproxy/envoy:v<version> per release ' +
    'and supports a minor release for 12 months (RELEASES.md)',
  'redis:8.10-alpine': 'docker-library/official-images library/redis (Tags: 8.10.2-alpine, 8.10-alpine, 8-alpine)',
  scratch: 'the empty base image, built into Docker/BuildKit',
  'docker/dockerfile:1': 'the BuildKit Dockerfile frontend, stable channel (Docker docs, "Dockerfile reference": # syntax=docker/dockerfile:1)',
};

/** Built from this repository: README "Deploy on Istio" 1 says how; users set their registry. */
const BUILT_HERE = ['ghcr.io/example/meshtrace-collector', 'ghcr.io/example/meshtrace-filter'];

interface ImageRef { where: string; image: string }

function dockerfileImages(file: string): ImageRef[] {
  const text = readText(file);
  const ins = parseDockerfile(text);
  const args = new Map<string, string>();
  const out: ImageRef[] = [];
  // The `# syntax=` parser directive names the BuildKit frontend image.
  const syntax = /^#\s*syntax=(\S+)/.exec(text);
  if (syntax) out.push({ where: `${file} (# syntax)`, image: syntax[1]! });
  const stages = new Set<string>();
  for (const i of ins) {
    if (i.keyword === 'ARG') {
      const m = /^(\w+)=(\S+)$/.exec(i.args);
      if (m) args.set(m[1]!, m[2]!);
    } else if (i.keyword === 'FROM') {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--platform='));
      const image = words[0]!.replace(/^\$\{?(\w+)\}?$/, (_m, name: string) => args.get(name) ?? `<unset ARG ${name}>`);
      if (!stages.has(image)) out.push({ where: file, image });
      if (words[1]?.toUpperCase() === 'AS') stages.add(words[2]!);
    }
  }
  return out;
}

function yamlImages(): ImageRef[] {
  const out: ImageRef[] = [];
  for (const file of listYamlFiles()) {
    if (/(^|\/)(docker-)?compose[^/]*\.ya?ml$/.test(file)) {
      const c = parseYaml(readText(file)) as { services: Record<string, { image?: string }> };
      for (const [name, s] of Object.entries(c.services)) if (s.image) out.push({ where: `${file} services.${name}`, image: s.image });
    }
  }
  for (const { file, obj } of loadResources()) {
    const pod = obj.spec?.template?.spec;
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) out.push({ where: `${file} ${obj.kind}/${obj.metadata.name}`, image: c.image });
    if (obj.kind === 'WasmPlugin' && String(obj.spec.url).startsWith('oci://')) out.push({ where: `${file} WasmPlugin/${obj.metadata.name}`, image: obj.spec.url.slice('oci://'.length) });
  }
  for (const file of listYamlFiles(['manifests']).filter((f) => f.endsWith('kustomization.yaml'))) {
    const k = parseYaml(readText(file)) as { images?: { name: string; newName?: string; newTag?: string }[] };
    for (const i of k.images ?? []) out.push({ where: file, image: `${i.newName ?? i.name}:${i.newTag ?? 'latest'}` });
  }
  return out;
}

/** Whether an image reference is checked or built here. */
function accepted(image: string): boolean {
  return BUILT_HERE.includes(image.replace(/[:@].*$/, '')) || Object.prototype.hasOwnProperty.call(CHECKED, image);
}

const refs: ImageRef[] = [...dockerfileImages('Dockerfile'), ...dockerfileImages('wasmplugin/Dockerfile'), ...yamlImages()];

describe('container images', () => {
  it('finds the images of the Dockerfiles, the compose demo, the Deployments and the WasmPlugins', () => {
    const images = new Set(refs.map((r) => r.image));
    for (const i of ['node:24-trixie-slim', 'scratch', 'envoyproxy/envoy:v1.39.2', 'redis:8.10-alpine']) expect(images).toContain(i);
    expect(refs.some((r) => r.image.startsWith('ghcr.io/example/meshtrace-collector:'))).toBe(true);
  });

  it.each(refs.map((r) => [`${r.where}: ${r.image}`, r] as const))('%s is checked or built here', (_label, r) => {
    expect(accepted(r.image), `${r.image} (${r.where}): check that the tag exists and is supported, then add it to CHECKED with the source`).toBe(true);
  });

  it('no end-of-life Node.js image (Node 20 ended in April 2026)', () => {
    for (const r of refs) {
      const m = /^node:(\d+)/.exec(r.image);
      if (m) expect(Number(m[1]), `${r.where}: ${r.image}`).toBeGreaterThanOrEqual(22);
    }
  });

  it('the check above can fail: unchecked tags are refused', () => {
    for (const image of ['envoyproxy/envoy:v1.40.0', 'node:20-bookworm-slim', 'redis:7.4-alpine', 'ghcr.io/someone/else:1']) expect(accepted(image), image).toBe(false);
    expect(accepted('ghcr.io/example/meshtrace-filter:0.1.0')).toBe(true);
  });
});
