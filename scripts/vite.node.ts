// The build options both Node bundles share (vite.cli.config.ts, vite.worker.config.ts): one target, no
// minifying (stack traces stay readable), every dependency inlined.
import type { UserConfig } from 'vite';

type Rolldown = NonNullable<NonNullable<UserConfig['build']>['rolldownOptions']>;

export function nodeBundle(outDir: string, rolldownOptions: Rolldown): UserConfig {
  return {
    logLevel: 'warn',
    ssr: { noExternal: true },
    build: {
      ssr: true,
      target: 'node20',
      outDir,
      emptyOutDir: true,
      minify: false,
      reportCompressedSize: false,
      rolldownOptions,
    },
  };
}
