/**
 * `npm run test:cluster`: the scale-out suite (test/cluster/*.cluster-spec.ts). A real 3-master
 * Redis Cluster with replicas (scripts/redis-cluster.sh), 2 api and 3 worker processes over
 * QUEUE_PARTITIONS=6, and a master killed mid-burst. Run in band (the processes share the two
 * cores); the table of every scenario is printed at the end by the chaos suite's reporter.
 * Not part of `npm test`: jest.config.js matches *.spec.ts and *.e2e-spec.ts only.
 */
const { join } = require('node:path');

const rootDir = join(__dirname, '..', '..');

module.exports = {
  rootDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: join(rootDir, 'tsconfig.jest.json') }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 180000,
  verbose: true,
  reporters: ['default', '<rootDir>/test/chaos/chaos-table-reporter.js'],
};
