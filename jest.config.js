/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // ts-jest rewrites our `./x.ts` imports to `./x.js` (rewriteRelativeImportExtensions): map them back.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30000,
  // Suites spawn servers, redis-server and CLI children: two workers match the 2-core machines.
  maxWorkers: 2,
};
