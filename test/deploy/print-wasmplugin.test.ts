/**
 * `npm run wasmplugin` (scripts/print-wasmplugin.ts): argument parsing, the sha256 of the real
 * built module, the resource it prints validating against the WasmPlugin schema, and the npm
 * script end to end.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  buildWasmPlugin,
  DEFAULT_OCI_URL,
  fillTemplate,
  main,
  parseArgs,
  renderWasmPlugin,
  SHA256_PLACEHOLDER,
  UsageError,
} from '../../scripts/print-wasmplugin.js';
import { releaseWasmPath } from './filter-facts.js';
import { readText, REPO_ROOT, repoPath, type K8sObject } from './manifests.js';
import { validateResource } from './validators.js';

const HTTPS = 'https://example.com/meshtrace-filter.wasm';
const fakeModule = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const fakeDigest = createHash('sha256').update(fakeModule).digest('hex');

describe('parseArgs', () => {
  it('defaults', () => {
    expect(parseArgs([])).toEqual({ url: DEFAULT_OCI_URL, gateway: false, wasmPath: 'build/meshtrace-filter.wasm', help: false });
  });
  it('reads every option', () => {
    expect(parseArgs(['--url', HTTPS, '--namespace', 'bookinfo', '--gateway', '--name', 'x', '--selector', 'app=a', '--selector', 'v=1', '--wasm', 'm.wasm']))
      .toEqual({ url: HTTPS, urlGiven: true, namespace: 'bookinfo', gateway: true, name: 'x', selector: { app: 'a', v: '1' }, wasmPath: 'm.wasm', help: false });
  });
  it.each([
    [['--url'], /--url needs a value/],
    [['--url', '--gateway'], /--url needs a value/],
    [['--selector', 'novalue'], /key=value/],
    [['--selector', '=x'], /key=value/],
    [['--nope'], /unknown option/],
  ])('refuses %j', (argv, msg) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(msg);
  });
});

describe('the printed WasmPlugin', () => {
  it('fills in the sha256 of the module for an https:// URL', () => {
    const doc = parseYaml(main(['--url', HTTPS, '--namespace', 'bookinfo'], () => fakeModule)) as K8sObject;
    expect(doc.spec.sha256).toBe(fakeDigest);
    expect(doc.metadata.namespace).toBe('bookinfo');
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('prints no sha256 for an oci:// URL (that field would be the image digest) and reads no module', () => {
    const doc = parseYaml(main([], () => { throw new Error('must not read the module'); })) as K8sObject;
    expect(doc.spec.url).toBe(DEFAULT_OCI_URL);
    expect(doc.spec).not.toHaveProperty('sha256');
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('the gateway variant selects the ingress gateway in istio-system and sets gateway: true', () => {
    const doc = parseYaml(main(['--gateway'])) as K8sObject;
    expect(doc.metadata).toMatchObject({ name: 'meshtrace-gateway', namespace: 'istio-system' });
    expect(doc.spec.selector).toEqual({ matchLabels: { istio: 'ingressgateway' } });
    expect(doc.spec.pluginConfig.gateway).toBe(true);
    expect(doc.spec).not.toHaveProperty('match');
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('the waypoint variant reaches the waypoint through targetRefs (its Gateway), with no selector and no match', () => {
    const doc = parseYaml(main(['--waypoint', 'waypoint', '--namespace', 'bookinfo'])) as K8sObject;
    expect(doc.metadata).toMatchObject({ name: 'meshtrace-waypoint', namespace: 'bookinfo' });
    expect(doc.spec.targetRefs).toEqual([{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }]);
    expect(doc.spec).not.toHaveProperty('selector');
    expect(doc.spec).not.toHaveProperty('match');
    expect(doc.spec.pluginConfig.gateway).toBe(false);
    expect(() => validateResource(doc)).not.toThrow();
    // The schema check is real: a selector next to targetRefs is refused.
    expect(() => validateResource({ ...doc, spec: { ...doc.spec, selector: { matchLabels: { app: 'x' } } } })).toThrow();
  });

  it.each([
    [['--waypoint', 'w', '--gateway'], /exclude each other/],
    [['--waypoint', 'w', '--selector', 'app=a'], /exclude each other/],
    [['--waypoint', 'Not_A_Name'], /Gateway name/],
    [['--waypoint'], /--waypoint needs a value/],
  ])('refuses %j', (argv, msg) => {
    expect(() => main(argv)).toThrow(UsageError);
    expect(() => main(argv)).toThrow(msg);
  });

  it('says clearly when the module is missing', () => {
    expect(() => main(['--url', HTTPS, '--wasm', '/nonexistent/x.wasm'])).toThrow(/cannot read \/nonexistent\/x\.wasm.*npm run build:filter/);
  });

  it.each([
    [{ url: 'ftp://x/y.wasm', gateway: false }, /--url/],
    [{ url: HTTPS, gateway: false }, /sha256/],
    [{ url: HTTPS, sha256: 'ABC', gateway: false }, /sha256/],
  ])('refuses %j', (opts, msg) => {
    expect(() => buildWasmPlugin(opts)).toThrow(msg);
  });

  it('starts with comments and is one YAML document', () => {
    const text = renderWasmPlugin({ url: DEFAULT_OCI_URL, gateway: false });
    expect(text.startsWith('# Generated by `npm run wasmplugin`')).toBe(true);
    expect(text).toContain('@sha256:<digest>');
  });
});

describe('the https template (wasmplugin/wasmplugin-https.template.yaml)', () => {
  const TEMPLATE = 'wasmplugin/wasmplugin-https.template.yaml';
  const text = readText(TEMPLATE);
  const buildDigest = (): string => {
    const wasm = repoPath(releaseWasmPath());
    expect(fs.existsSync(wasm), `${releaseWasmPath()} missing: run npm run build:filter first`).toBe(true);
    return createHash('sha256').update(fs.readFileSync(wasm)).digest('hex');
  };

  it('commits no digest, only the placeholder (a committed one would go stale with the next build)', () => {
    expect((parseYaml(text) as K8sObject).spec.sha256).toBe(SHA256_PLACEHOLDER);
    expect(text).not.toMatch(/\b[0-9a-f]{64}\b/);
  });

  it('filled by the command from the real build: the digest is the module\'s, and the resource validates', () => {
    const doc = parseYaml(main(['--template', TEMPLATE])) as K8sObject;
    expect(doc.spec.sha256).toBe(buildDigest());
    expect(doc.spec.url).toMatch(/^https:\/\//);
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('the check above can fail: filled from another module, the digest differs from the build\'s', () => {
    const doc = parseYaml(main(['--template', TEMPLATE], () => fakeModule)) as K8sObject;
    expect(doc.spec.sha256).toBe(fakeDigest);
    expect(doc.spec.sha256).not.toBe(buildDigest());
  });

  it('--url replaces the URL and the comments stay', () => {
    const out = main(['--template', TEMPLATE, '--url', HTTPS], () => fakeModule);
    expect((parseYaml(out) as K8sObject).spec.url).toBe(HTTPS);
    expect(out).toContain('# TEMPLATE:');
  });

  it.each([
    ['a committed digest', text.replace(SHA256_PLACEHOLDER, fakeDigest), undefined, /placeholder/],
    ['an oci:// URL', text, 'oci://r/x:1', /needs an https/],
    ['broken YAML', 'spec: [', undefined, /--template/],
  ])('refuses %s', (_name, t, url, msg) => {
    expect(() => fillTemplate(t, fakeDigest, url)).toThrow(msg);
  });
});

describe('npm run --silent wasmplugin (end to end, on the real build)', () => {
  it('prints a valid WasmPlugin carrying the sha256 of build/meshtrace-filter.wasm', () => {
    const wasm = repoPath(releaseWasmPath());
    expect(fs.existsSync(wasm), `${releaseWasmPath()} missing: run npm run build:filter first`).toBe(true);
    const expected = createHash('sha256').update(fs.readFileSync(wasm)).digest('hex');
    const out = execFileSync('npm', ['run', '--silent', 'wasmplugin', '--', '--url', HTTPS, '--namespace', 'bookinfo'], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000,
    });
    const doc = parseYaml(out) as K8sObject;
    expect(doc.spec.sha256).toBe(expected);
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('fills the https template with the sha256 of build/meshtrace-filter.wasm', () => {
    const expected = createHash('sha256').update(fs.readFileSync(repoPath(releaseWasmPath()))).digest('hex');
    const out = execFileSync('npm', ['run', '--silent', 'wasmplugin', '--', '--template', 'wasmplugin/wasmplugin-https.template.yaml', '--url', HTTPS], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000,
    });
    const doc = parseYaml(out) as K8sObject;
    expect(doc.spec).toMatchObject({ sha256: expected, url: HTTPS });
    expect(() => validateResource(doc)).not.toThrow();
  });

  it('exits 2 with a message on a bad option', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync('npm', ['run', '--silent', 'wasmplugin', '--', '--bogus'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/unknown option "--bogus"/);
  });
});
