/**
 * The real-n8n end-to-end suite (scripts/test-n8n.sh starts n8n and runs this). Its specs end in
 * .n8n-spec.ts, so neither project of the default jest.config.js picks them up.
 */
const path = require('node:path');

const rootDir = path.join(__dirname, '..', '..');

module.exports = {
  rootDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/n8n/**/*.n8n-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(rootDir, 'tsconfig.json'), diagnostics: { warnOnly: false } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
};
