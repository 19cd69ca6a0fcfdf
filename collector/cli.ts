#!/usr/bin/env node
/**
 * meshtrace-collector — command line, after `otelcol`:
 *
 *   meshtrace-collector --config FILE [--config FILE2 ...]   run (files merged in order, later wins)
 *   meshtrace-collector validate --config FILE ...            check the config, exit 0 or 1
 *   meshtrace-collector components                            list the built-in component types
 *   meshtrace-collector --version | --help
 *
 * A bad config prints every problem (by path) on stderr and exits 1 before anything starts.
 * SIGTERM / SIGINT: graceful shutdown (stop accepting, flush, drain within the deadline), exit 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtinFactories } from './components.js';
import { ConfigError } from './config/issues.js';
import { loadConfigFiles, type LoadedConfig } from './config/load.js';
import { Service, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './service/service.js';
import { createLogger } from './telemetry/logger.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function findUp(rel: string): string | undefined {
  for (let dir = here, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const p = path.join(dir, rel);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function version(): string {
  const p = findUp('package.json');
  try {
    return p ? (JSON.parse(fs.readFileSync(p, 'utf8')) as { version: string }).version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const HELP = `meshtrace-collector — a lean OpenTelemetry-compatible trace collector for Istio

Usage:
  meshtrace-collector [--config FILE ...]           run the collector
  meshtrace-collector validate --config FILE ...    validate the configuration and exit
  meshtrace-collector components                    list supported component types

Options:
  --config FILE   configuration file in the OpenTelemetry Collector layout; repeat to merge
                  several files (later files override earlier ones). A "file:" prefix is
                  accepted. Default: the embedded collector/config/default.yaml.
  --version       print the version and exit
  --help          print this help and exit

Environment references \${env:NAME} and \${env:NAME:-default} in the config are expanded.
Signals: SIGTERM/SIGINT shut down gracefully (drain deadline ${DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000}s), exit code 0.
`;

function printConfigError(err: unknown): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`Error: invalid configuration (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n`);
    for (const i of err.issues) process.stderr.write(`  ${i.path}: ${i.message}\n`);
  } else {
    process.stderr.write(`Error: ${(err as Error)?.message ?? String(err)}\n`);
  }
}

function configPaths(values: string[] | undefined): string[] {
  if (!values || values.length === 0) {
    const def = findUp('collector/config/default.yaml');
    if (!def) throw new Error('no --config given and the embedded default config was not found');
    return [def];
  }
  return values.map((v) => (v.startsWith('file:') ? v.slice(5) : v));
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', multiple: true },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`meshtrace-collector version ${version()}\n`);
    return 0;
  }
  const command = positionals[0];
  if (positionals.length > 1 || (command !== undefined && command !== 'validate' && command !== 'components')) {
    process.stderr.write(`Error: unknown command ${JSON.stringify(positionals.join(' '))}\n\n${HELP}`);
    return 1;
  }
  if (command === 'components') {
    for (const kind of ['receiver', 'processor', 'exporter', 'extension'] as const) {
      const list = builtinFactories.filter((f) => f.kind === kind);
      process.stdout.write(`${kind}s:\n`);
      for (const f of list) process.stdout.write(`  - ${f.type}${f.aliases?.length ? ` (also: ${f.aliases.join(', ')})` : ''}\n`);
    }
    return 0;
  }

  let cfg: LoadedConfig;
  try {
    cfg = await loadConfigFiles(configPaths(values.config));
  } catch (err) {
    printConfigError(err);
    return 1;
  }

  if (command === 'validate') {
    for (const w of cfg.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    process.stdout.write('configuration is valid\n');
    return 0;
  }

  const logger = createLogger({ level: cfg.service.telemetry.logs.level });
  for (const w of cfg.warnings) logger.warn({ path: w.path }, w.message);
  const service = new Service(cfg, { logger });

  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  const stop = (why: string, code: number) => {
    if (stopping) {
      if (why === 'SIGINT') {
        logger.warn('second interrupt: exiting without waiting for the drain');
        process.exit(1);
      }
      return stopping;
    }
    exitCode = code;
    logger.info({ reason: why }, 'received shutdown request');
    stopping = service.shutdown();
    return stopping;
  };
  const done = new Promise<void>((resolve) => {
    process.on('SIGTERM', () => void stop('SIGTERM', 0).then(resolve));
    process.on('SIGINT', () => void stop('SIGINT', 0).then(resolve));
    process.on('uncaughtException', (err) => {
      logger.fatal({ err: err.message, stack: err.stack }, 'uncaught exception; shutting down');
      void stop('uncaught exception', 1).then(resolve);
    });
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: (reason as Error)?.message ?? String(reason) }, 'unhandled promise rejection');
  });

  try {
    await service.start();
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'collector failed to start');
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  await done;
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`Error: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
