// Jest runs in native ESM mode (node --experimental-vm-modules) because jose,
// openid-client and @kubernetes/client-node ship ESM only; a CommonJS transform
// would have to down-compile node_modules too. SWC strips the types (fast, no
// type check: `make typecheck` runs tsc for that), and module specifiers keep
// their `.js` suffix as Node's ESM resolution requires, mapped back to `.ts` here.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tools/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.tools/'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 30000,
};
