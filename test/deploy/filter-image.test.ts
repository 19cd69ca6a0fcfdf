/**
 * The filter's OCI image (wasmplugin/Dockerfile) without Docker: its build stage compiles the
 * module from the sources in the build context (never the build/ folder of the machine running
 * docker build), on the builder's own platform; the final stage is FROM scratch with plugin.wasm
 * alone; it is published for linux/amd64 (what Istio's fetcher picks from an index) and arm64.
 * The build stage is replayed in a temporary directory from exactly the files its COPY lines and
 * Dockerfile.dockerignore admit, and must produce the same bytes as `npm run build:filter`, so the
 * image carries the module whose sha256 the https template gets.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseWasmPath } from './filter-facts.js';
import { dockerStages, inBuildContext, parseDockerfile, readText, repoPath } from './manifests.js';

const DOCKERFILE = 'wasmplugin/Dockerfile';
const IGNORE = 'wasmplugin/Dockerfile.dockerignore';
const text = readText(DOCKERFILE);
const stages = dockerStages(parseDockerfile(text));
const [build, final] = [stages[0]!, stages[stages.length - 1]!];
const copiesFromContext = (stage: typeof build): string[][] =>
  stage.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from=')).map((i) => i.args.split(/\s+/));

describe('wasmplugin/Dockerfile', () => {
  it('two stages: a build stage on the builder\'s platform, then FROM scratch holding plugin.wasm only', () => {
    expect(stages).toHaveLength(2);
    expect(build[0]!.args).toMatch(/^--platform=\$BUILDPLATFORM \S+ AS build$/);
    expect(final.map((i) => i.keyword)).toEqual(['FROM', 'COPY']);
    expect(final[0]!.args).toBe('scratch');
    expect(final[1]!.args).toBe(`--from=build /src/${releaseWasmPath()} ./plugin.wasm`);
  });

  it('compiles with the release target npm run build:filter uses, after installing from the lock file', () => {
    const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs[0]).toMatch(/^npm ci\b/);
    const buildFilter = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts['build:filter']!;
    const asc = /asc --target release/.exec(buildFilter)![0];
    expect(runs[runs.length - 1]).toBe(`npx ${asc}`);
  });

  it('nothing comes from the machine\'s build/ folder: not copied, not even in the build context', () => {
    for (const args of copiesFromContext(build)) for (const a of args) expect(a).not.toMatch(/^(\.\/)?build(\/|$)|\.wasm$/);
    expect(inBuildContext(releaseWasmPath(), IGNORE)).toBe(false);
    expect(inBuildContext('dist/collector/cli.js', IGNORE)).toBe(false);
    for (const args of copiesFromContext(build)) for (const src of args.slice(0, -1)) expect(inBuildContext(src, IGNORE), src).toBe(true);
  });

  it('documents publishing for linux/amd64 and linux/arm64 (README too)', () => {
    const cmd = /docker buildx build -f wasmplugin\/Dockerfile --platform (\S+)/;
    expect(cmd.exec(text)?.[1]).toBe('linux/amd64,linux/arm64');
    expect(cmd.exec(readText('README.md'))?.[1]).toBe('linux/amd64,linux/arm64');
  });

  describe('the build stage, replayed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-filter-image-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('produces the same module as npm run build:filter', () => {
      const built = repoPath(releaseWasmPath());
      expect(fs.existsSync(built), `${releaseWasmPath()} missing: run npm run build:filter first`).toBe(true);
      for (const args of copiesFromContext(build)) {
        const dst = args[args.length - 1]!;
        for (const src of args.slice(0, -1)) {
          const target = dst.endsWith('/') ? path.join(dir, dst, path.basename(src)) : path.join(dir, dst);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.cpSync(repoPath(src), target, { recursive: true, filter: (p) => inBuildContext(path.relative(repoPath(), p).split(path.sep).join('/') || '.', IGNORE) || p === repoPath(src) });
        }
      }
      expect(fs.existsSync(path.join(dir, 'build')), 'no build/ in the stage before it compiles').toBe(false);
      // `npm ci` stands in as the repository's installed node_modules (same lock file).
      fs.symlinkSync(repoPath('node_modules'), path.join(dir, 'node_modules'), 'dir');
      execFileSync(process.execPath, [repoPath('node_modules/assemblyscript/bin/asc.js'), '--target', 'release'], { cwd: dir, stdio: 'pipe', timeout: 180_000 });
      const replayed = fs.readFileSync(path.join(dir, releaseWasmPath()));
      expect(Buffer.compare(replayed, fs.readFileSync(built))).toBe(0);
    }, 200_000);
  });
});
