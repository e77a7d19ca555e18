// Type-aware lint for the TypeScript: its main job is to make floating promises an error.
// The tests, benchmarks and scripts (plain JavaScript modules) get eslint's recommended rules.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Prettier breaks code at 120 columns but not long literals; this catches those.
const maxLen = { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true };

export default tseslint.config(
  { ignores: ['dist/**', 'extension/dist/**', 'node_modules/**', '.cache/**', 'test-results/**'] },
  {
    files: ['**/*.ts'],
    ignores: ['examples/**'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'max-len': ['error', maxLen],
    },
  },
  {
    // The examples are scripts for `crew run`, outside the typed project.
    files: ['examples/**/*.ts'],
    extends: [tseslint.configs.base],
    rules: { 'max-len': ['error', maxLen] },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'max-len': ['error', maxLen],
    },
  },
  {
    // Callbacks given to playwright's page.evaluate run in the browser.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
