/**
 * Structured JSON logs (one object per line on stdout) through pino, the de-facto Node JSON
 * logger: fast, asynchronous-safe, with child loggers that carry the component ID.
 */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Write somewhere other than stdout (tests). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: 'meshtrace-collector' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that discards everything, for unit tests of single components. */
export function nullLogger(): Logger {
  return pino({ level: 'silent' });
}
