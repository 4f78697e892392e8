// ESLint flat config: typescript-eslint's strictest type-checked preset over the TypeScript code.
// A rule is switched off or relaxed only with a one-line reason beside it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', '.bench/**', 'coverage/**', 'node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Nest modules are classes with only decorators: that is the framework's shape, not a mistake.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // Numbers and booleans read fine in messages; objects and unknowns still have to be turned into text on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => resolve()` and `(x) => list.push(x)` shorthands are idiomatic callbacks; using a void value elsewhere is still an error.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Nest, BullMQ and TypeORM declare option bags as classes; object literals are how their docs pass them.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `_name` marks a parameter a framework signature requires but this code does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      // supertest and pg answers are `any` by design; tests assert on their shape with expect().
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A test that knows a lookup succeeded says so with `!`; a wrong guess fails the test, which is the point.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
