// One test command for everything: unit tests beside the code, black-box CLI and browser tests in test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'web/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One temporary folder per run, removed at its end (test/temp-folder.ts).
    globalSetup: ['./test/temp-folder.ts'],
    // Vitest's own summary, then the plain `N passed, N failed` line CI reads.
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
