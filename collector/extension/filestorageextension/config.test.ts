import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { DEFAULT_DIRECTORY, parseFileStorageConfig } from './config.js';
import { decideLease, LEASE_STALE_MS, type Lease } from './lease.js';
import { clientFileName, sanitize } from './names.js';

const P = 'extensions.file_storage';

describe('file_storage config (otelcol-contrib names and defaults)', () => {
  it('defaults', () => {
    const issues = new ConfigIssues();
    expect(parseFileStorageConfig(undefined, P, issues)).toEqual({
      directory: DEFAULT_DIRECTORY,
      timeoutMs: 1000,
      fsync: false,
      createDirectory: false,
      directoryPermissions: 0o750,
      recreate: false,
      compaction: {
        onStart: false,
        onRebound: false,
        directory: DEFAULT_DIRECTORY,
        maxTransactionSize: 65_536,
        reboundNeededThresholdMiB: 100,
        reboundTriggerThresholdMiB: 10,
        checkIntervalMs: 5000,
        cleanupOnStart: false,
      },
    });
    expect(issues.errors).toEqual([]);
  });

  it('reads every key; compaction.directory defaults to directory; relative paths resolve', () => {
    const issues = new ConfigIssues();
    const cfg = parseFileStorageConfig(
      {
        directory: 'queue',
        timeout: '3s',
        fsync: true,
        create_directory: true,
        directory_permissions: '0700',
        recreate: true,
        compaction: { on_start: true, on_rebound: true, max_transaction_size: 0, rebound_needed_threshold_mib: 50, rebound_trigger_threshold_mib: 5, check_interval: '1s', cleanup_on_start: true },
      },
      P,
      issues,
    );
    expect(issues.errors).toEqual([]);
    expect(cfg).toMatchObject({ directory: path.resolve('queue'), timeoutMs: 3000, fsync: true, createDirectory: true, directoryPermissions: 0o700, recreate: true });
    expect(cfg.compaction).toEqual({
      onStart: true, onRebound: true, directory: path.resolve('queue'), maxTransactionSize: 0,
      reboundNeededThresholdMiB: 50, reboundTriggerThresholdMiB: 5, checkIntervalMs: 1000, cleanupOnStart: true,
    });
    // YAML's unquoted 0750 arrives as the number 750.
    expect(parseFileStorageConfig({ directory_permissions: 750 }, P, issues).directoryPermissions).toBe(0o750);
  });

  it.each([
    [{ directory: '' }, `${P}.directory`],
    [{ directory: ['a'] }, `${P}.directory`],
    [{ timeout: 5 }, `${P}.timeout`],
    [{ fsync: 'always' }, `${P}.fsync`],
    [{ directory_permissions: 'rwx' }, `${P}.directory_permissions`],
    [{ directory_permissions: '0999' }, `${P}.directory_permissions`],
    [{ compaction: { on_start: 'yes' } }, `${P}.compaction.on_start`],
    [{ compaction: { rebound_trigger_threshold_mib: 200 } }, `${P}.compaction.rebound_trigger_threshold_mib`],
    [{ compaction: { check_interval: '0s' } }, `${P}.compaction.check_interval`],
    [{ compaction: { ondemand: true } }, `${P}.compaction`],
    [{ directry: '/x' }, P],
  ])('refuses %j at its path', (raw, where) => {
    const issues = new ConfigIssues();
    parseFileStorageConfig(raw, P, issues);
    expect(issues.errors.map((e) => e.path)).toEqual([where]);
  });
});

describe('client file names (as otelcol names them)', () => {
  it.each([
    ['exporter', 'otlphttp', 'traces', 'exporter_otlphttp__traces'],
    ['exporter', 'otlphttp/backend', 'traces', 'exporter_otlphttp_backend_traces'],
    ['exporter', 'awsxray/a.b-c', 'traces', 'exporter_awsxray_a.b-c_traces'],
    ['receiver', 'filelog/logs/container', '', 'receiver_filelog_logs~002Fcontainer'],
    ['exporter', 'otlp/x~y', 'traces', 'exporter_otlp_x~007Ey_traces'],
    ['exporter', 'otlp/ünï', 'traces', 'exporter_otlp_~00FCn~00EF_traces'],
  ] as const)('%s %s %s → %s', (kind, id, name, want) => {
    expect(clientFileName(kind, id, name)).toBe(want);
  });
  it('leaves safe names alone and escapes the escape character', () => {
    expect(sanitize('Az09._-')).toBe('Az09._-');
    expect(sanitize('~')).toBe('~007E');
  });
});

describe('decideLease', () => {
  const me: Lease = { host: 'pod-a', pid: 1, token: 'mine', renewedAt: 0 };
  const now = 1_000_000;
  const alive = () => true;
  const dead = () => false;
  it.each([
    ['nobody holds it', undefined, alive, true],
    ['ours', { ...me, renewedAt: now }, alive, true],
    ['an earlier run of this container (same host, same pid)', { host: 'pod-a', pid: 1, token: 'old', renewedAt: now }, alive, true],
    ['a dead process on this host', { host: 'pod-a', pid: 4242, token: 'x', renewedAt: now }, dead, true],
    ['a live process on this host', { host: 'pod-a', pid: 4242, token: 'x', renewedAt: now }, alive, false],
    ['another host, renewed recently', { host: 'pod-b', pid: 1, token: 'x', renewedAt: now - 1000 }, dead, false],
    ['another host, not renewed for longer than the stale time', { host: 'pod-b', pid: 1, token: 'x', renewedAt: now - LEASE_STALE_MS - 1 }, alive, true],
  ] as const)('%s → take %s', (_n, current, running, take) => {
    const d = decideLease(current as Lease | undefined, me, now, running);
    expect(d.take).toBe(take);
    expect(d.why.length).toBeGreaterThan(3);
  });
});
