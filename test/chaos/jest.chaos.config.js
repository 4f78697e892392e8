/**
 * `npm run test:chaos`: the chaos suite (test/chaos/*.chaos-spec.ts). Real worker processes, a
 * real redis-server of its own, a TCP proxy in front of Postgres, and faults injected mid-burst;
 * every scenario proves that nothing committed is lost. Run in band (the scenarios share the two
 * cores); the table of every scenario is printed at the end by chaos-table-reporter.js.
 * Not part of `npm test`: jest.config.js matches *.spec.ts and *.e2e-spec.ts only.
 */
const { join } = require('node:path');

const rootDir = join(__dirname, '..', '..');

module.exports = {
  rootDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: join(rootDir, 'tsconfig.jest.json') }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 180000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/chaos/chaos-table-reporter.js'],
};
