/**
 * End-to-end tests of the built collector binary (run `npx tsc -p tsconfig.json` first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot, RunningCollector, runCli, tempDir, writeConfig } from './harness.js';

let running: RunningCollector | undefined;

beforeAll(() => {
  if (!fs.existsSync(cliPath)) throw new Error(`${cliPath} missing: build with npx tsc -p tsconfig.json first`);
});

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

describe('meshtrace-collector CLI', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`meshtrace-collector version ${pkg.version}\n`);
  });

  it('--help documents the commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('meshtrace-collector validate --config FILE');
    expect(r.stdout).toContain('--config FILE');
  });

  it('the built file starts with a node shebang', () => {
    expect(fs.readFileSync(cliPath, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('unknown flags and commands exit 1 with the usage', async () => {
    for (const args of [['--conf', 'x'], ['frobnicate']]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^Error: /);
      expect(r.stderr).toContain('Usage:');
    }
  });

  it('components lists the registered types', async () => {
    const r = await runCli(['components']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  - batch\n');
    expect(r.stdout).toContain('  - debug (also: logging)\n');
    expect(r.stdout).toContain('  - health_check\n');
  });

  it('a bad config stops start-up: every problem listed by path on stderr, exit 1, nothing started', async () => {
    const dir = tempDir();
    const cfg = writeConfig(
      dir,
      `
receivers:
  jaeger: {}
processors:
  batch: { timeout: fast }
exporters:
  debug: { verbosity: loud }
  file: { path: ${dir}/x.json, format: proto }
extensions:
  health_check: { endpoint: "nohostport" }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [jaeger], processors: [batch, memory_limiter], exporters: [debug, file] }
`,
    );
    for (const args of [['--config', cfg], ['validate', '--config', cfg]]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe('Error: invalid configuration (6 problems):');
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(/^ {2}receivers\.jaeger: unsupported receiver type "jaeger" \(supported: /),
        '  processors.batch.timeout: expected a duration like 200ms, 5s or 1m, got "fast"',
        '  exporters.debug.verbosity: expected one of basic, normal, detailed, got "loud"',
        '  exporters.file.format: format "proto" is not supported by this collector; use json (OTLP/JSON lines)',
        '  extensions.health_check.endpoint: expected host:port, got "nohostport"',
        '  service.pipelines.traces.processors[1]: references processor "memory_limiter" which is not configured',
      ]);
      expect(r.stdout).toBe('');
    }
  });

  it('validate without --config checks the embedded default (otlp + zipkin, memory_limiter, istio, reparent, batch, debug)', async () => {
    const r = await runCli(['validate']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('configuration is valid\n');
    expect(r.code).toBe(0);
  });

  it('several --config files are merged in order (later wins), as otelcol does', async () => {
    const dir = tempDir();
    const base = writeConfig(
      dir,
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters: { debug: { verbosity: loud } }
service: { pipelines: { traces: { receivers: [otlp], exporters: [debug] } } }
`,
      'base.yaml',
    );
    const overlay = writeConfig(dir, 'exporters: { debug: { verbosity: detailed } }\n', 'overlay.yaml');
    const alone = await runCli(['validate', '--config', base]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('exporters.debug.verbosity: expected one of basic, normal, detailed, got "loud"');
    const merged = await runCli(['validate', '--config', base, '--config', `file:${overlay}`]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
  });

  it('a missing config file is reported and exits 1', async () => {
    const r = await runCli(['--config', '/nonexistent/meshtrace.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/nonexistent/meshtrace.yaml: cannot read config file');
  });
});
