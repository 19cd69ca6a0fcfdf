import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['collector/**/*.test.ts', 'host/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests bind real sockets on 127.0.0.1; each file picks its own free ports (port 0).
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
