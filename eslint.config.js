import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/** Another module is used through its public entry only: its `index.ts` or its `*.module.ts`. */
const moduleInternals = {
  regex: '^\\.\\./[^./][^/]*/(?!index\\.js$)(?![^/]+\\.module\\.js$)',
  message: "Import another module through its public entry (../<module>/index.js or its *.module.js), not its internals.",
};
/** Routes parse, authorize, call a service and present: the database is the services' business. */
const routeDatabase = {
  regex: '(^|/)db/',
  message: 'A route file does not touch the database: call a service.',
};
/** core/ is pure: no I/O, no persistence, no HTTP, no feature module. */
const coreEdges = {
  regex: '(^|/)(adapters|db|modules|http)/',
  message: 'core/ holds pure decisions: it imports neither adapters/, db/, modules/ nor http/ (shared types go to core or @devflow/contracts).',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', '.bench/**', 'packages/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['packages/web/src/**/*.{ts,tsx}'], ...reactHooks.configs.flat.recommended },
  // Layers of the server (docs/ARCHITECTURE.md). Later entries replace earlier ones for a file, so each repeats what still applies.
  { files: ['packages/server/src/modules/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals] }] } },
  { files: ['packages/server/src/**/*.routes.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [moduleInternals, routeDatabase] }] } },
  { files: ['packages/server/src/core/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [coreEdges] }] } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
