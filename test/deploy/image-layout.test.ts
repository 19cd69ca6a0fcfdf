/**
 * The collector image without Docker: lays out a directory the way the Dockerfile's final stage
 * does (each COPY followed: package.json, production-only node_modules, dist/collector, the
 * .proto files, the default config) and runs the collector's `validate` and `components` there,
 * so a runtime import of a dev dependency or a file the image lacks fails here, not in a pod.
 * Production dependencies are the package-lock.json entries not marked `dev` (what
 * `npm ci --omit=dev` installs), hard-linked from node_modules.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerStages, findResource, inBuildContext, loadResources, parseDockerfile, readText, repoPath } from './manifests.js';

const docker = parseDockerfile(readText('Dockerfile'));
const stages = dockerStages(docker);
const finalStage = stages[stages.length - 1]!;

/** Paths that `npm ci --omit=dev` installs (package-lock v3 `packages` keys without dev: true). */
function productionPackages(): string[] {
  const lock = JSON.parse(readText('package-lock.json')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([k, v]) => k.startsWith('node_modules/') && !v.dev)
    // Optional packages for other platforms (lmdb's prebuilt binaries) are skipped by npm ci, as here.
    .filter(([k, v]) => !v.optional || fs.existsSync(repoPath(k)))
    .map(([k]) => k);
}

describe('the collector image\'s file layout', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-image-'));
  const app = path.join(root, 'app');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('every file the final stage copies from the build context is in the context (.dockerignore)', () => {
    const sources = finalStage.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from=')).map((i) => i.args.split(/\s+/)[0]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(inBuildContext(s), s).toBe(true);
      expect(fs.existsSync(repoPath(s)), s).toBe(true);
    }
    expect(inBuildContext('build/meshtrace-filter.wasm')).toBe(false);
    expect(inBuildContext('test/deploy/manifests.ts')).toBe(false);
    expect(inBuildContext('collector/config/load.test.ts')).toBe(false);
  });

  it('runs `validate` on the ConfigMap config and lists its components from that layout', () => {
    expect(fs.existsSync(repoPath('dist/collector/cli.js')), 'run `npm run build:ts` first').toBe(true);
    const workdir = finalStage.filter((i) => i.keyword === 'WORKDIR').pop()!.args;
    expect(workdir).toBe('/app');
    fs.mkdirSync(app, { recursive: true });
    for (const ins of finalStage.filter((i) => i.keyword === 'COPY')) {
      const parts = ins.args.split(/\s+/);
      const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
      const [src, dst] = parts as [string, string];
      const target = path.resolve(app, dst.endsWith('/') ? path.join(dst, path.basename(src)) : dst);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (from === 'deps') {
        expect(src).toBe('/app/node_modules');
        for (const pkg of productionPackages()) {
          fs.mkdirSync(path.dirname(path.join(app, pkg)), { recursive: true });
          execFileSync('cp', ['-al', repoPath(pkg), path.join(app, pkg)]);
        }
      } else if (from === 'build') {
        expect(src).toBe('/src/dist/collector'); // tsc's outDir for collector/ in the build stage
        execFileSync('cp', ['-al', repoPath('dist/collector'), target]);
      } else {
        execFileSync('cp', ['-al', repoPath(src), target]);
      }
    }
    // No dev dependency made it in.
    expect(fs.existsSync(path.join(app, 'node_modules/typescript'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules/vitest'))).toBe(false);

    const configMap = findResource(loadResources(), 'ConfigMap', 'meshtrace-collector');
    const cfgFile = path.join(root, 'collector.yaml');
    fs.writeFileSync(cfgFile, configMap.data!['collector.yaml']!);
    const env = { PATH: process.env.PATH ?? '', OTLP_AUTH_TOKEN: 'x', AWS_REGION: 'us-east-1', NODE_ENV: 'production' };
    const opts = { cwd: app, env, encoding: 'utf8' as const, timeout: 30_000 };
    execFileSync(process.execPath, ['dist/collector/cli.js', 'validate', '--config', cfgFile], opts);
    const components = execFileSync(process.execPath, ['dist/collector/cli.js', 'components'], opts);
    for (const type of ['otlp', 'zipkin', 'memory_limiter', 'istio', 'reparent', 'batch', 'awsxray', 'otlphttp', 'health_check', 'sigv4auth', 'file_storage']) {
      expect(components).toContain(type);
    }
  }, 120_000);
});
