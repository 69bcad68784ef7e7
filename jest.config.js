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
  // At the end jest asks each worker to exit and, after this long, kills it with "A worker process
  // has failed to exit gracefully". Probed on a busy machine: the workers held no handle then and
  // ran their exit within 1 ms of the request, yet the 500 ms default ran out before jest saw them
  // go. A real leak (a server, an interval) keeps a worker alive far longer and is still reported.
  workerGracefulExitTimeout: 5000,
};
