/**
 * Problems found while validating a config. Every entry names the full path of the offending
 * value (`exporters.otlp.endpoint: expected host:port`), so start-up can list all of them at once.
 */
export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConfigIssues {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  format(): string {
    return this.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
  }
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
