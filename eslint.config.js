// Lint rules, including the layering of the pipeline (bytes → readers → model → writers → CLI; viewer apart).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'child_process',
  'http',
  'zlib',
  'stream',
  'worker_threads',
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/fixtures/**', 'examples/**', 'bench/data/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Imports run one way: no module may reach itself again through its imports (type-only imports excepted:
    // they vanish when compiled). The exporter imports './x.js' for x.ts, the viewer imports './x' without an
    // extension; the built-in resolver maps both to the .ts file.
    files: ['src/**/*.ts', 'web/src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Files with these endings are parsed for their imports (by default only .js ones are).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Format readers turn bytes into events: they know nothing of sources, writers or the CLI.
    files: ['src/formats/**/*.ts'],
    ignores: ['src/formats/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/export/**', '**/cli/**', '**/sources/**', '**/serve/**'],
              message: 'readers must not import writers, sources or the CLI',
            },
          ],
        },
      ],
    },
  },
  {
    // The model is built from events; it does not write files or parse arguments.
    files: ['src/model/**/*.ts', 'src/contract/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/export/**', '**/cli/**', '**/serve/**'],
              message: 'the model must not import writers or the CLI',
            },
          ],
        },
      ],
    },
  },
  {
    // Pure modules the viewer shares: no Node I/O (src/trace: the Perfetto trace builder, used by --trace and the
    // viewer; src/history/rules.ts: the history rules, used by the store and the viewer's compare view).
    files: [
      'src/contract/**/*.ts',
      'src/formats/dstat/**/*.ts',
      'src/formats/performance/**/*.ts',
      'src/trace/**/*.ts',
      'src/history/rules.ts',
    ],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'shared with the viewer: no Node modules' },
            { group: ['**/export/**', '**/cli/**', '**/sources/**'] },
          ],
        },
      ],
    },
  },
  {
    // The viewer runs in a browser: no Node modules; from the exporter it may take only the contract types and pure readers.
    files: ['web/src/**/*.ts'],
    ignores: ['web/src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'the viewer runs in a browser: no Node modules' },
            {
              group: [
                '**/src/export/**',
                '**/src/cli/**',
                '**/src/sources/**',
                '**/src/model/**',
                '**/src/serve/**',
                '**/src/formats/subunit/**',
                // Of the history code only the rules, which are pure (compare two runs of a report).
                '**/src/history/*',
                '!**/src/history/rules',
              ],
              message: 'the viewer reads only the exported files (src/contract) and pure readers',
            },
          ],
        },
      ],
    },
  },
);
