/**
 * Runs what the pod runs: the image's ENTRYPOINT + CMD (`node dist/collector/cli.js --config
 * FILE`) on the ConfigMap's collector config, with the Deployment's environment, then probes it
 * the way the kubelet does (the readiness probe's path on the health_check endpoint) and stops
 * it the way Kubernetes does (SIGTERM; it must exit 0 well within the grace period).
 *
 * Only local addresses: every `0.0.0.0:PORT` endpoint becomes `127.0.0.1:0` (the collector logs
 * the port it bound); AWS credentials are static fakes and instance metadata is disabled, and no
 * span is sent, so neither exporter contacts anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { execForm, findResource, loadResources, parseDockerfile, readText, repoPath, REPO_ROOT } from './manifests.js';

const resources = loadResources();
const deployment = findResource(resources, 'Deployment', 'meshtrace-collector');
const configMap = findResource(resources, 'ConfigMap', 'meshtrace-collector');
const container = deployment.spec.template.spec.containers[0];
const docker = parseDockerfile(readText('Dockerfile'));
const argv = [
  ...execForm(docker.filter((i) => i.keyword === 'ENTRYPOINT').pop()!.args),
  ...container.args as string[],
];

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

describe('the pod\'s command on the ConfigMap config', () => {
  let child: ChildProcess | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-start-'));
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, answers the readiness probe with 200, and exits 0 on SIGTERM within the grace period', async () => {
    expect(fs.existsSync(repoPath('dist/collector/cli.js')), 'run `npm run build:ts` first').toBe(true);
    expect(argv.slice(0, 2)).toEqual(['node', 'dist/collector/cli.js']);
    const configPath = argv[argv.indexOf('--config') + 1]!;
    let local = (configMap.data!['collector.yaml'] as string).replace(/0\.0\.0\.0:\d+/g, '127.0.0.1:0');
    // The pod's emptyDir volumes (e.g. the persistent queue's directory) become fresh directories.
    const volumes = deployment.spec.template.spec.volumes as Array<{ name: string; emptyDir?: unknown }>;
    for (const m of container.volumeMounts as Array<{ name: string; mountPath: string }>) {
      if (!volumes.find((v) => v.name === m.name)?.emptyDir) continue;
      const local_ = path.join(dir, `volume-${m.name}`);
      fs.mkdirSync(local_, { recursive: true });
      local = local.split(m.mountPath).join(local_);
    }
    const file = path.join(dir, path.basename(configPath));
    fs.writeFileSync(file, local);
    const args = argv.slice(1).map((a) => (a === configPath ? file : a));

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const e of container.env) env[e.name] = e.value ?? 'token-from-secret';

    child = spawn(argv[0] === 'node' ? process.execPath : argv[0]!, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => { stderr += c; });
    const healthEndpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'health check server listening' log line within 15 s; stderr: ${stderr}`)), 15_000);
      child!.on('exit', (code) => { clearTimeout(timer); reject(new Error(`collector exited with ${code}: ${stderr}`)); });
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        try {
          const rec = JSON.parse(line) as { msg?: string; endpoint?: string };
          if (rec.msg === 'health check server listening' && rec.endpoint) { clearTimeout(timer); resolve(rec.endpoint); }
        } catch { /* not a JSON log line */ }
      });
    });

    const probePath: string = container.readinessProbe.httpGet.path;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await getStatus(`http://${healthEndpoint}${probePath}`).catch(() => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);

    const graceMs = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs))]);
    expect(code, stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(graceMs);
  }, 90_000);
});
